// The analyzer over the modules: pictures through modules/fingerprint (decode, aHash/dHash/pHash/PDQ, colour),
// listings through modules/scoring's score.listing.
#include "analyzer.hpp"

#include "tyto/core/error.hpp"
#include "tyto/fingerprint/image.hpp"
#include "tyto/fingerprint/image_hash.hpp"
#include "tyto/modules/scoring.hpp"
#include "tyto/pipeline/stage.hpp"

#include <limits>

namespace tyto::products::brand_protection {
namespace {

using nlohmann::json;
namespace fp = tyto::fingerprint;

constexpr int kMatchRadius = 90;  // PDQ bits, of 256

// The listing as score.listing reads it: what the provider returned, within the scorer's bounds, and the
// picture's PDQ distance to the closest reference.
json scoring_listing(const ProviderListing& l, std::optional<int> pdq_distance) {
  json out = {{"id", l.id}, {"title", l.title.substr(0, 1000)}, {"url", l.url}, {"image_url", l.image_url}};
  if (l.price && *l.price >= 0) out["price"] = *l.price;
  if (l.currency.size() == 3) out["currency"] = l.currency;
  if (!l.seller.empty()) out["seller"] = l.seller;
  if (l.seller_rating && *l.seller_rating >= 0 && *l.seller_rating <= 5) out["seller_rating"] = *l.seller_rating;
  if (pdq_distance) out["image"] = {{"hamming_distance", *pdq_distance}, {"bits", 256}};
  return out;
}

class ModuleAnalyzer final : public Analyzer {
 public:
  json hash_image(std::string_view bytes) override {
    const fp::ImageHashes h = fp::hash_image(fp::decode_image(bytes));
    return {{"ahash", fp::to_hex(h.ahash)}, {"dhash", fp::to_hex(h.dhash)}, {"phash", fp::to_hex(h.phash)},
            {"pdq", fp::to_hex(h.pdq)},     {"pdq_quality", h.pdq_quality}, {"colour", h.colour}};
  }

  Verdict score(const Brand& brand, const ProviderListing& listing, const std::optional<json>& image_hashes,
                const std::vector<ReferenceHashes>& references) override {
    // The closest reference by PDQ (256 bits, the most robust of the hashes under the edits measured).
    std::optional<int> best;
    std::optional<std::string> best_id;
    if (image_hashes && image_hashes->contains("pdq")) {
      const auto mine = fp::parse_hash256(image_hashes->at("pdq").get<std::string>());
      for (const auto& ref : references) {
        const auto theirs =
            ref.hashes.contains("pdq") ? fp::parse_hash256(ref.hashes["pdq"].get<std::string>()) : std::nullopt;
        if (!mine || !theirs) continue;
        const int d = fp::hamming(*mine, *theirs);
        if (!best || d < *best) {
          best = d;
          best_id = ref.image_id;
        }
      }
    }
    json out;
    try {
      // The brand as the API answers it is what score.listing takes (docs/modules/scoring.md), but for the
      // provider of its scheduled scans, which is no part of a score.
      json scored_brand = brand_json(brand, 0);
      scored_brand.erase("scan_provider");
      out = modules::scoring_stage::score({{"brand", scored_brand}, {"listing", scoring_listing(listing, best)}});
    } catch (const pipeline::StageError& e) {
      throw Error(ErrorCode::kValidationFailed, std::string("the listing cannot be scored: ") + e.what());
    }
    Verdict v;
    v.probability = out.at("probability").get<double>();
    v.signals = {{"signals", out["signals"]},
                 {"decision", out["decision"]},
                 {"evidence", out["evidence"]},
                 {"image", best ? json{{"pdq_distance", *best}, {"reference_image_id", *best_id}} : json(nullptr)},
                 {"model", out["model"]}};
    // A reference counts as matched within kMatchRadius of its PDQ. Unrelated pictures are about 128 bits
    // apart (a binomial with a standard deviation of 8), so 90 is nearly 5 deviations away from chance,
    // while a reseller's 5% crop moves PDQ by up to about 70 (the module's default radius, 64, is set for
    // searches over large collections, where chance matches add up).
    if (best && *best <= kMatchRadius) v.matched_image_id = best_id;
    return v;
  }
};

}  // namespace

std::unique_ptr<Analyzer> make_analyzer() { return std::make_unique<ModuleAnalyzer>(); }

}  // namespace tyto::products::brand_protection
