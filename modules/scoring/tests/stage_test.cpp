// The score.listing stage: its schema refuses bad input, and a full run through the registry with a
// StageContext scores a counterfeit listing above an unrelated one, explaining each signal.
#include "tyto/core/json_schema.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/modules/scoring.hpp"
#include "tyto/pipeline/pipeline.hpp"

#include <catch2/catch.hpp>

using namespace tyto;
using nlohmann::json;

namespace {

class TestContext final : public pipeline::StageContext {
 public:
  const std::string& job_id() const override { return id_; }
  const std::string& tenant_id() const override { return id_; }
  int attempt() const override { return 1; }
  void progress(double, std::string_view) override {}
  void partial_result(const json&) override {}
  const pipeline::CancellationToken& token() const override { return token_; }
  bool sleep_for(std::chrono::milliseconds) override { return true; }
  void log(log::Level, std::string_view, std::initializer_list<log::Field>) override {}
  metrics::Registry& metrics() override { return registry_; }
  pipeline::Artifacts& artifacts() override { throw std::logic_error("no artifacts here"); }
  pipeline::CancellationToken token_;

 private:
  std::string id_ = "test";
  metrics::Registry registry_;
};

json apple() {
  return {{"name", "Apple"},
          {"misspellings", {"appel", "aple"}},
          {"keywords", {"iphone", "airpods", "macbook"}},
          {"price_band", {{"min", 199}, {"max", 2500}, {"currency", "USD"}}}};
}

json counterfeit() {
  return {{"title", "\u0410\u0440\u0440l\u0435 iPhone 15 Pro Max 1:1 replica"},
          {"description", "Best app1e copy, AAA quality. Airpods included."},
          {"price", 89.0},
          {"currency", "USD"},
          {"seller", {{"account_age_days", 12}, {"rating", 3.1}, {"prior_infringements", 2}}},
          {"image", {{"hamming_distance", 4}, {"bits", 64}}}};
}

json run_stage(const json& input) {
  modules::ScoringModule module;
  pipeline::StageRegistry registry;
  module.register_stages(registry);
  const pipeline::StageDef* stage = registry.find("score.listing");
  REQUIRE(stage != nullptr);
  TestContext ctx;
  return stage->run(ctx, input);
}

const json& signal(const json& out, std::string_view name) {
  for (const auto& s : out.at("signals")) {
    if (s.at("name") == name) return s;
  }
  FAIL("no signal " << name);
  throw std::logic_error("unreachable");
}

// The StageError the stage throws for `input`, or a failure when it throws none.
pipeline::StageError refusal(const json& input) {
  try {
    modules::scoring_stage::score(input);
  } catch (const pipeline::StageError& e) {
    return e;
  }
  FAIL("accepted " << input.dump());
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("score.listing flags a counterfeit listing and says why", "[scoring][stage]") {
  const json out = run_stage({{"brand", apple()}, {"listing", counterfeit()}});
  CHECK(validate_json(modules::scoring_stage::output_schema(), out).empty());
  CHECK(out.at("decision") == "flag");
  CHECK(out.at("probability").get<double>() > 0.95);
  CHECK(out.at("thresholds_passed") == json({"review", "flag"}));
  CHECK(out.at("model") == "scoring-logistic-v1");

  double sum = out.at("intercept").get<double>();
  for (const auto& s : out.at("signals")) sum += s.at("contribution").get<double>();
  CHECK(out.at("logit").get<double>() == Approx(sum));

  CHECK(signal(out, "name_similarity").at("value") == 1.0);  // the Cyrillic Аррlе reads as apple
  CHECK(signal(out, "fraud_terms").at("value") == 1.0);      // replica, 1:1, copy, aaa
  CHECK(signal(out, "price_below_band").at("value").get<double>() == Approx((199.0 - 89.0) / 199.0));
  CHECK(signal(out, "image_similarity").at("value").get<double>() == Approx((1.0 - 4.0 / 64.0 - 0.5) / 0.5));
  CHECK(signal(out, "keyword_hits").at("value").get<double>() == Approx(2.0 / 3.0));  // iphone, airpods
  CHECK(signal(out, "seller_risk").at("value").get<double>() > 0.9);
  CHECK(signal(out, "misspelling_hit").at("value") == 0.0);

  const json& evidence = out.at("evidence");
  CHECK(evidence.at("title_match").at("name") == "Apple");
  CHECK(evidence.at("title_match").at("matched") == "apple");
  CHECK(evidence.at("title_match").at("metrics").at("jaro_winkler") == 1.0);
  CHECK(evidence.at("title_match").at("metrics").size() == 8);
  CHECK(evidence.at("keywords_found") == json({"iphone", "airpods"}));
  CHECK(evidence.at("fraud_terms_found").size() >= 3);
}

TEST_CASE("score.listing leaves an unrelated listing clear, and counts a known misspelling", "[scoring][stage]") {
  const json unrelated =
      run_stage({{"brand", apple()}, {"listing", {{"title", "Garden hose 20m, green"}, {"price", 19.99}}}});
  CHECK(unrelated.at("decision") == "clear");
  CHECK(unrelated.at("probability").get<double>() < 0.1);
  CHECK_FALSE(signal(unrelated, "price_below_band").at("present").get<bool>());  // the title is not about Apple
  CHECK_FALSE(signal(unrelated, "image_similarity").at("present").get<bool>());

  const json misspelt = run_stage({{"brand", apple()}, {"listing", {{"title", "Appel airpods pro"}}}});
  CHECK(signal(misspelt, "misspelling_hit").at("value") == 1.0);
  CHECK(misspelt.at("evidence").at("misspellings_found") == json({"appel"}));
  CHECK(misspelt.at("probability").get<double>() > unrelated.at("probability").get<double>());

  // An accessory that names the brand for what it fits scores below the same words without the accessory terms.
  const json accessory =
      run_stage({{"brand", apple()}, {"listing", {{"title", "Case for Apple iPhone 15, compatible with MagSafe"}}}});
  const json bare = run_stage({{"brand", apple()}, {"listing", {{"title", "Apple iPhone 15 MagSafe"}}}});
  CHECK(signal(accessory, "accessory_terms").at("value").get<double>() == 1.0);
  CHECK(accessory.at("probability").get<double>() < bare.at("probability").get<double>());
}

TEST_CASE("score.listing applies the client's weights and thresholds", "[scoring][stage]") {
  json brand = apple();
  const json plain = run_stage({{"brand", brand}, {"listing", counterfeit()}});
  brand["weights"] = {{"image", 0}, {"bonus", 0.5}, {"signals", {{"fraud_terms", 2}}}};
  brand["thresholds"] = {{"review", 0.999999}, {"flag", 1.0}};
  const json weighted = run_stage({{"brand", brand}, {"listing", counterfeit()}});
  CHECK(signal(weighted, "image_similarity").at("contribution") == 0.0);
  CHECK(signal(weighted, "fraud_terms").at("weight") == 1.0);
  CHECK(signal(weighted, "seller_risk").at("weight") == 0.5);
  CHECK(weighted.at("probability").get<double>() < plain.at("probability").get<double>());
  CHECK(weighted.at("thresholds") == json({{"review", 0.999999}, {"flag", 1.0}}));
  CHECK(weighted.at("decision") != "flag");
}

TEST_CASE("score.listing refuses input its schema does not allow, permanently", "[scoring][stage]") {
  const json good = {{"brand", apple()}, {"listing", counterfeit()}};
  REQUIRE_NOTHROW(modules::scoring_stage::score(good));
  const auto with = [&](const json::json_pointer& at, const json& value) {
    json input = good;
    input[at] = value;
    return input;
  };
  const auto without = [&](const std::string& parent, const std::string& key) {
    json input = good;
    input[json::json_pointer(parent)].erase(key);
    return input;
  };
  std::vector<std::pair<std::string, json>> bad = {
      {"no brand", without("", "brand")},
      {"no title", without("/listing", "title")},
      {"empty brand name", with("/brand/name"_json_pointer, "")},
      {"rating above 5", with("/listing/seller/rating"_json_pointer, 7)},
      {"similarity above 1", with("/listing/image"_json_pointer, {{"similarity", 1.5}})},
      {"negative price", with("/listing/price"_json_pointer, -1)},
      {"a title too long", with("/listing/title"_json_pointer, std::string(1001, 'a'))},
      {"an unknown member", with("/listing/colour"_json_pointer, "red")},
      {"a negative weight", with("/brand/weights"_json_pointer, {{"text", -1}})},
      {"an unknown signal's weight", with("/brand/weights"_json_pointer, {{"signals", {{"shoe_size", 1}}}})},
      {"thresholds out of order", with("/brand/thresholds"_json_pointer, {{"review", 0.9}, {"flag", 0.5}})},
      {"a Hamming distance above its bits", with("/listing/image"_json_pointer, {{"hamming_distance", 70}})},
      {"a price band upside down", with("/brand/price_band"_json_pointer, {{"min", 500}, {"max", 100}})},
      {"a currency that is not a code", with("/listing/currency"_json_pointer, "dollars")},
      {"a misspelling that is not a string", with("/brand/misspellings"_json_pointer, {1, 2})},
  };
  for (const auto& [why, input] : bad) {
    INFO(why);
    const pipeline::StageError e = refusal(input);
    CHECK(e.code() == "invalid_input");
    CHECK_FALSE(e.retryable());
  }
  // The schema itself says so for the schema-level cases (what the jobs API answers 422 with).
  CHECK_FALSE(validate_json(modules::scoring_stage::input_schema(), without("", "brand")).empty());
  CHECK(check_schema(modules::scoring_stage::input_schema()).empty());
}

TEST_CASE("score.listing reads UTF-8 that is not well formed without failing", "[scoring][stage]") {
  const json out = run_stage({{"brand", apple()}, {"listing", {{"title", std::string("App\xC3le iph\xF0ne")}}}});
  CHECK(out.at("probability").get<double>() >= 0.0);
}

TEST_CASE("The scoring module ships the scoring.listing pipeline over score.listing", "[scoring][stage]") {
  modules::ScoringModule module;
  pipeline::StageRegistry registry;
  module.register_stages(registry);
  std::map<std::string, pipeline::Pipeline, std::less<>> pipelines;
  pipeline::load_owned_pipelines(module.pipelines(), module.name(), registry, pipelines);
  REQUIRE(pipelines.contains("scoring.listing"));
  CHECK(pipelines.at("scoring.listing").input_schema == modules::scoring_stage::input_schema());
}

TEST_CASE("score.listing reads a Hamming distance of the fingerprint module's hashes", "[scoring][stage]") {
  const auto image_value = [](const json& image) {
    json listing = counterfeit();
    listing["image"] = image;
    return signal(run_stage({{"brand", apple()}, {"listing", listing}}), "image_similarity").at("value").get<double>();
  };
  // (1 − d/bits − 0.5)/0.5: PDQ has 256 bits, the others 64, unless bits says otherwise.
  CHECK(image_value({{"hash", "pdq"}, {"hamming_distance", 28}}) == Approx((1.0 - 28.0 / 256.0 - 0.5) / 0.5));
  CHECK(image_value({{"hash", "phash"}, {"hamming_distance", 8}}) == Approx((1.0 - 8.0 / 64.0 - 0.5) / 0.5));
  CHECK(image_value({{"hamming_distance", 8}}) == Approx((1.0 - 8.0 / 64.0 - 0.5) / 0.5));
  CHECK(image_value({{"hamming_distance", 8}, {"bits", 128}}) == Approx((1.0 - 8.0 / 128.0 - 0.5) / 0.5));
  CHECK(image_value({{"hash", "pdq"}, {"hamming_distance", 128}}) == 0.0);  // chance level: no evidence
  CHECK(image_value({{"similarity", 0.9}}) == Approx(0.8));
  json listing = counterfeit();
  listing["image"] = {{"hash", "phash"}, {"hamming_distance", 100}};  // more than pHash's 64 bits
  CHECK(refusal({{"brand", apple()}, {"listing", listing}}).code() == "invalid_input");
  listing["image"] = {{"hash", "md5"}, {"hamming_distance", 1}};
  CHECK(refusal({{"brand", apple()}, {"listing", listing}}).code() == "invalid_input");
}

TEST_CASE("score.listing takes a brand and a listing as the brand-protection product holds them", "[scoring][stage]") {
  // A brand's settings as the product's API answers them, and a listing as a search provider returns it.
  const json brand = {
      {"id", "0190-brand"},
      {"name", "Rolex"},
      {"aliases", json::array()},
      {"misspellings", {"rollex"}},
      {"fraud_terms", json::array()},
      {"keywords", {"submariner"}},
      {"categories", {"watches"}},
      {"price_band", nullptr},
      {"weights", {{"text", 1}, {"image", 1}, {"keywords", 2}, {"fraud_terms", 1}, {"price", 0}, {"seller", 1}}},
      {"thresholds", {{"flag", 0.9}, {"review", 0.6}}},
      {"schedule", "manual"}};
  const json listing = {{"id", "p-17"},
                        {"title", "Rollex Submariner automatic"},
                        {"seller", "watchdeals_2024"},
                        {"seller_rating", 2.0},
                        {"price", 120.0},
                        {"currency", "USD"},
                        {"url", "https://market.example/p-17"},
                        {"image_url", "https://market.example/p-17.jpg"},
                        {"provider", "demo"}};
  const json out = run_stage({{"brand", brand}, {"listing", listing}});
  CHECK(out.at("thresholds") == json({{"review", 0.6}, {"flag", 0.9}}));
  CHECK(signal(out, "keyword_hits").at("weight") == 2.0);
  CHECK(signal(out, "price_below_band").at("weight") == 0.0);
  CHECK_FALSE(signal(out, "price_below_band").at("present").get<bool>());      // no band
  CHECK(signal(out, "seller_risk").at("value").get<double>() == Approx(1.0));  // (4.5 − 2)/2.5, clamped
  CHECK(signal(out, "misspelling_hit").at("value") == 1.0);
  CHECK(out.at("probability").get<double>() > 0.5);

  // Weights given both ways multiply.
  json both = brand;
  both["weights"] = {{"fraud_terms", 2}, {"signals", {{"fraud_terms", 1.5}}}};
  const json multiplied = run_stage({{"brand", both}, {"listing", listing}});
  CHECK(signal(multiplied, "fraud_terms").at("weight") == 3.0);
}
