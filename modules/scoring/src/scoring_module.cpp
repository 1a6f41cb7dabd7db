#include "tyto/modules/scoring.hpp"

#include "tyto/core/json_schema.hpp"
#include "tyto/modules/scoring/combiner.hpp"
#include "tyto/modules/scoring/listing.hpp"
#include "tyto/pipeline/pipeline.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <iterator>

namespace tyto {
std::span<const EmbeddedFile> embedded_scoring_pipelines();
}

namespace tyto::modules {
namespace {

using nlohmann::json;

constexpr std::string_view kModelVersion = "scoring-logistic-v1";

// brand.weights' names for single signals (the brand-protection product's), and the signal each weighs.
constexpr std::pair<std::string_view, std::string_view> kWeightShorthands[] = {{"keywords", "keyword_hits"},
                                                                               {"fraud_terms", "fraud_terms"},
                                                                               {"price", "price_below_band"},
                                                                               {"seller", "seller_risk"}};

constexpr std::string_view kInputSchema = R"({
  "type": "object",
  "required": ["brand", "listing"],
  "additionalProperties": false,
  "properties": {
    "brand": {
      "type": "object",
      "required": ["name"],
      "additionalProperties": false,
      "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "aliases": {"type": "array", "maxItems": 500, "items": {"type": "string", "minLength": 1, "maxLength": 200}},
        "misspellings": {"type": "array", "maxItems": 1000, "items": {"type": "string", "minLength": 1, "maxLength": 200}},
        "keywords": {"type": "array", "maxItems": 500, "items": {"type": "string", "minLength": 1, "maxLength": 200}},
        "fraud_terms": {"type": "array", "maxItems": 500, "items": {"type": "string", "minLength": 1, "maxLength": 200}},
        "accessory_terms": {"type": "array", "maxItems": 500, "items": {"type": "string", "minLength": 1, "maxLength": 200}},
        "price_band": {
          "type": ["object", "null"],
          "required": ["min", "max"],
          "additionalProperties": false,
          "properties": {
            "min": {"type": "number", "minimum": 0},
            "max": {"type": "number", "minimum": 0},
            "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$"}
          }
        },
        "weights": {
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "text": {"type": "number", "minimum": 0, "maximum": 10},
            "image": {"type": "number", "minimum": 0, "maximum": 10},
            "bonus": {"type": "number", "minimum": 0, "maximum": 10},
            "keywords": {"type": "number", "minimum": 0, "maximum": 10},
            "fraud_terms": {"type": "number", "minimum": 0, "maximum": 10},
            "price": {"type": "number", "minimum": 0, "maximum": 10},
            "seller": {"type": "number", "minimum": 0, "maximum": 10},
            "signals": {
              "type": "object",
              "additionalProperties": {"type": "number", "minimum": 0, "maximum": 10},
              "properties": {}
            }
          }
        },
        "thresholds": {
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "review": {"type": "number", "minimum": 0, "maximum": 1},
            "flag": {"type": "number", "minimum": 0, "maximum": 1}
          }
        },
        "id": true,
        "categories": true,
        "schedule": true,
        "reference_images": true,
        "created_at": true,
        "updated_at": true
      }
    },
    "listing": {
      "type": "object",
      "required": ["title"],
      "additionalProperties": false,
      "properties": {
        "id": {"type": "string", "maxLength": 500},
        "url": {"type": "string", "maxLength": 2000},
        "title": {"type": "string", "maxLength": 1000},
        "description": {"type": "string", "maxLength": 20000},
        "price": {"type": "number", "minimum": 0},
        "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$"},
        "provider": {"type": "string", "maxLength": 100},
        "image_url": {"type": "string", "maxLength": 2000},
        "seller_rating": {"type": "number", "minimum": 0, "maximum": 5},
        "seller": {
          "type": ["object", "string"],
          "maxLength": 500,
          "additionalProperties": false,
          "properties": {
            "id": {"type": "string", "maxLength": 500},
            "name": {"type": "string", "maxLength": 500},
            "account_age_days": {"type": "number", "minimum": 0},
            "rating": {"type": "number", "minimum": 0, "maximum": 5},
            "prior_infringements": {"type": "integer", "minimum": 0}
          }
        },
        "image": {
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "similarity": {"type": "number", "minimum": 0, "maximum": 1},
            "hamming_distance": {"type": "integer", "minimum": 0},
            "hash": {"type": "string", "enum": ["ahash", "dhash", "phash", "pdq"]},
            "bits": {"type": "integer", "minimum": 1, "maximum": 4096}
          }
        }
      }
    }
  }
})";

constexpr std::string_view kOutputSchema = R"({
  "type": "object",
  "required": ["probability", "logit", "intercept", "decision", "thresholds", "thresholds_passed", "signals", "evidence", "model"],
  "properties": {
    "probability": {"type": "number", "minimum": 0, "maximum": 1},
    "logit": {"type": "number"},
    "intercept": {"type": "number"},
    "decision": {"type": "string", "enum": ["flag", "review", "clear"]},
    "thresholds": {"type": "object"},
    "thresholds_passed": {"type": "array", "items": {"type": "string"}},
    "signals": {"type": "array", "items": {"type": "object"}},
    "evidence": {"type": "object"},
    "model": {"type": "string"}
  }
})";

[[noreturn]] void invalid(std::string message, json fields = json::object()) {
  throw pipeline::StageError("invalid_input", fmt::format("{}: {}", message, fields.dump()), false);
}

std::vector<std::string> strings(const json& object, std::string_view key) {
  std::vector<std::string> out;
  if (const auto it = object.find(key); it != object.end()) {
    for (const auto& item : *it) out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<double> number(const json& object, std::string_view key) {
  if (const auto it = object.find(key); it != object.end()) return it->get<double>();
  return std::nullopt;
}

scoring::Brand read_brand(const json& in) {
  scoring::Brand brand;
  brand.name = in.at("name").get<std::string>();
  brand.aliases = strings(in, "aliases");
  brand.misspellings = strings(in, "misspellings");
  brand.keywords = strings(in, "keywords");
  brand.fraud_terms = strings(in, "fraud_terms");
  brand.accessory_terms = strings(in, "accessory_terms");
  if (const auto it = in.find("price_band"); it != in.end() && it->is_object()) {
    scoring::PriceBand band{it->at("min").get<double>(), it->at("max").get<double>(), it->value("currency", "")};
    if (band.min > band.max) invalid("the price band's min is above its max", {{"brand.price_band.min", band.min}});
    brand.price_band = band;
  }
  return brand;
}

scoring::Listing read_listing(const json& in) {
  scoring::Listing listing;
  listing.title = in.at("title").get<std::string>();
  listing.description = in.value("description", "");
  listing.price = number(in, "price");
  listing.currency = in.value("currency", "");
  if (const auto it = in.find("seller"); it != in.end() && it->is_object()) {
    listing.seller.account_age_days = number(*it, "account_age_days");
    listing.seller.rating = number(*it, "rating");
    listing.seller.prior_infringements = number(*it, "prior_infringements");
  }
  if (!listing.seller.rating) listing.seller.rating = number(in, "seller_rating");
  if (const auto it = in.find("image"); it != in.end()) {
    if (const auto similarity = number(*it, "similarity")) {
      listing.image_similarity = similarity;
    } else if (const auto distance = number(*it, "hamming_distance")) {
      // The fingerprint module's hashes: PDQ has 256 bits, aHash, dHash and pHash 64.
      const double bits = it->value("bits", it->value("hash", "") == "pdq" ? 256.0 : 64.0);
      if (*distance > bits)
        invalid("the Hamming distance exceeds the hash's bits", {{"listing.image.hamming_distance", *distance}});
      listing.image_similarity = 1.0 - *distance / bits;
    }
  }
  return listing;
}

json match_json(const scoring::NameMatch& match) {
  return {
      {"name", match.name}, {"matched", match.matched}, {"similarity", match.similarity}, {"metrics", match.metrics}};
}

}  // namespace

namespace scoring_stage {

const json& input_schema() {
  static const json schema = json::parse(kInputSchema);
  return schema;
}

const json& output_schema() {
  static const json schema = json::parse(kOutputSchema);
  return schema;
}

json score(const json& raw_input) {
  if (const auto violations = validate_json(input_schema(), raw_input); !violations.empty()) {
    invalid("input does not match the schema", violation_fields(violations));
  }
  const json input = apply_defaults(input_schema(), raw_input);
  const json& brand_in = input.at("brand");
  const scoring::Brand brand = read_brand(brand_in);
  const scoring::Listing listing = read_listing(input.at("listing"));

  scoring::Weights weights;
  if (const auto it = brand_in.find("weights"); it != brand_in.end()) {
    weights.text = it->value("text", 1.0);
    weights.image = it->value("image", 1.0);
    weights.bonus = it->value("bonus", 1.0);
    // The brand-protection product's names for single signals' weights.
    for (const auto& [key, signal] : kWeightShorthands) {
      if (const auto w = it->find(key); w != it->end()) weights.signals[std::string(signal)] = w->get<double>();
    }
    if (const auto signals = it->find("signals"); signals != it->end()) {
      for (const auto& [name, value] : signals->items()) {
        if (!scoring::find_signal(name))
          invalid("unknown signal", {{"brand.weights.signals." + name, "unknown signal"}});
        const auto [entry, fresh] = weights.signals.try_emplace(name, 1.0);
        entry->second *= value.get<double>();
      }
    }
  }
  scoring::Thresholds thresholds;
  if (const auto it = brand_in.find("thresholds"); it != brand_in.end()) {
    thresholds.review = it->value("review", thresholds.review);
    thresholds.flag = it->value("flag", thresholds.flag);
  }
  if (thresholds.review > thresholds.flag) {
    invalid("the review threshold is above the flag threshold", {{"brand.thresholds.review", thresholds.review}});
  }

  const scoring::Evidence evidence = scoring::extract_signals(brand, listing);
  const scoring::Score result = scoring::combine(evidence.signals, weights, thresholds);

  json signals = json::array();
  for (const auto& c : result.contributions) {
    const auto* spec = scoring::find_signal(c.name);
    signals.push_back({{"name", c.name},
                       {"group", scoring::group_name(c.group)},
                       {"present", c.present},
                       {"value", c.value},
                       {"coefficient", c.coefficient},
                       {"weight", c.weight},
                       {"contribution", c.contribution},
                       {"meaning", spec->meaning}});
  }
  json found = {{"misspellings_found", evidence.misspellings_found},
                {"keywords_found", evidence.keywords_found},
                {"fraud_terms_found", evidence.fraud_terms_found},
                {"accessory_terms_found", evidence.accessory_terms_found}};
  if (evidence.title_match) found["title_match"] = match_json(*evidence.title_match);
  if (evidence.description_match) found["description_match"] = match_json(*evidence.description_match);
  return {{"probability", result.probability},
          {"logit", result.logit},
          {"intercept", result.intercept},
          {"decision", result.decision},
          {"thresholds", {{"review", thresholds.review}, {"flag", thresholds.flag}}},
          {"thresholds_passed", result.thresholds_passed},
          {"signals", signals},
          {"evidence", found},
          {"model", kModelVersion}};
}

}  // namespace scoring_stage

void ScoringModule::register_stages(pipeline::StageRegistry& registry) {
  registry.add({"score.listing",
                "Scores one listing against one brand: text similarity after normalisation, image similarity and "
                "bonus signals combined into a calibrated infringement probability with each signal's contribution",
                scoring_stage::input_schema(), scoring_stage::output_schema(),
                [](pipeline::StageContext& ctx, const json& input) {
                  ctx.check_cancelled();
                  return scoring_stage::score(input);
                }});
}

std::vector<CliCommand> ScoringModule::commands() {
  CliCommand score_listing{
      "score-listing", "score-listing FILE|-",
      "Print what the score.listing stage returns for the {brand, listing} JSON in FILE (- reads stdin)",
      [](std::span<const std::string> args, std::ostream& out, std::ostream& err) {
        if (args.size() != 1) {
          err << "usage: tyto score-listing FILE|-\n";
          return 2;
        }
        std::string text;
        if (args[0] == "-") {
          text.assign(std::istreambuf_iterator<char>(std::cin), {});
        } else {
          std::ifstream in(args[0], std::ios::binary);
          if (!in) {
            err << args[0] << ": cannot be read\n";
            return 1;
          }
          text.assign(std::istreambuf_iterator<char>(in), {});
        }
        try {
          out << scoring_stage::score(json::parse(text)).dump(2) << '\n';
          return 0;
        } catch (const json::exception& e) {
          err << args[0] << ": not JSON: " << e.what() << '\n';
        } catch (const pipeline::StageError& e) {
          err << args[0] << ": " << e.code() << ": " << e.what() << '\n';
        }
        return 1;
      }};
  return {std::move(score_listing)};
}

std::vector<pipeline::PipelineFile> ScoringModule::pipelines() const {
  return pipeline::pipeline_files(embedded_scoring_pipelines(), "modules/scoring/pipelines");
}

}  // namespace tyto::modules
