// What a scan asks of the modules: hashes of a picture (modules/fingerprint) and a listing's score against a
// brand (modules/scoring). One interface, so the scan's stage reads as the steps it takes and the modules'
// APIs stay behind one file (analyzer.cpp).
#pragma once

#include "brands.hpp"
#include "providers.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::products::brand_protection {

struct ReferenceHashes {
  std::string image_id;  // the brand's reference image
  nlohmann::json hashes;
};

struct Verdict {
  double probability = 0;                       // calibrated, 0–1
  nlohmann::json signals;                       // each signal: its value, weight and contribution to the score
  std::optional<std::string> matched_image_id;  // the closest reference image, when one is close
};

class Analyzer {
 public:
  virtual ~Analyzer() = default;
  // The picture's hashes as JSON (stored with reference images, compared for listings). Throws tyto::Error
  // (kValidationFailed) for bytes that are not a decodable picture. CPU work: stages only.
  virtual nlohmann::json hash_image(std::string_view bytes) = 0;
  // The listing's score for the brand, from its text, price and seller and, when it has one, its picture's
  // hashes against the brand's reference images.
  virtual Verdict score(const Brand& brand, const ProviderListing& listing,
                        const std::optional<nlohmann::json>& image_hashes,
                        const std::vector<ReferenceHashes>& references) = 0;
};

// The analyzer over modules/fingerprint and modules/scoring.
std::unique_ptr<Analyzer> make_analyzer();

}  // namespace tyto::products::brand_protection
