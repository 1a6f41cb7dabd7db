#include "demo_marketplace.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace tyto::products::brand_protection::demo {
namespace {

// A small deterministic generator (SplitMix64): the same listing looks the same everywhere.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
  double unit() { return static_cast<double>(next() >> 11) / static_cast<double>(1ull << 53); }

 private:
  std::uint64_t state_;
};

constexpr std::array<std::string_view, 3> kReferenceNames = {"Northwind Trail Jacket", "Northwind Summit Pack",
                                                             "Northwind Ridge Boots"};
constexpr std::array<std::string_view, 6> kMisspellings = {"Nortwind", "N0rthwind", "Northwlnd",
                                                           "Nothwind", "Northwind", "NORTH WIND"};
constexpr std::array<std::string_view, 4> kFraudTerms = {"replica", "AAA quality", "1:1 copy", "factory direct"};
constexpr std::array<std::string_view, 12> kGoods = {"Ceramic Mug",  "Desk Lamp",   "Yoga Mat",      "Garden Hose",
                                                     "Phone Case",   "Wool Scarf",  "Cutting Board", "Bike Light",
                                                     "Water Bottle", "Notebook A5", "Tea Kettle",    "Running Socks"};
constexpr std::array<std::string_view, 8> kAdjectives = {"New",     "Vintage", "Premium", "Lightweight",
                                                         "Classic", "Compact", "Deluxe",  "Outdoor"};
constexpr std::array<std::string_view, 8> kSellers = {"trailgear_outlet", "bestdeals4u", "mountain_supply",
                                                      "cheap_brands_hk",  "homeware_co", "sportzone",
                                                      "luxury_for_less",  "daily_goods"};

void check_listing(int n) {
  if (n < 0 || n >= kListings) throw std::out_of_range("no such demo listing");
}

// A product shot with a logo: a gradient, a product silhouette and a name in a badge. The reference
// pictures and the look-alikes share this layout.
cv::Mat product_shot(std::uint64_t seed, const std::string& label, const cv::Scalar& badge, const cv::Scalar& body) {
  Random rng(seed);
  cv::Mat img(480, 640, CV_8UC3);
  const cv::Scalar top(200 + rng.below(50), 200 + rng.below(50), 190 + rng.below(60));
  for (int y = 0; y < img.rows; ++y) {
    const double t = static_cast<double>(y) / img.rows;
    img.row(y).setTo(top * (1 - t) + cv::Scalar(90, 90, 100) * t);
  }
  const int shape = static_cast<int>(seed % 3);
  if (shape == 0) {  // a jacket: torso and sleeves
    cv::rectangle(img, {220, 120}, {420, 400}, body, cv::FILLED);
    cv::rectangle(img, {150, 130}, {220, 330}, body * 0.85, cv::FILLED);
    cv::rectangle(img, {420, 130}, {490, 330}, body * 0.85, cv::FILLED);
  } else if (shape == 1) {  // a pack: body and lid
    cv::rectangle(img, {230, 140}, {410, 420}, body, cv::FILLED);
    cv::ellipse(img, {320, 140}, {90, 45}, 0, 180, 360, body * 0.8, cv::FILLED);
    cv::line(img, {260, 140}, {260, 420}, body * 0.6, 6);
    cv::line(img, {380, 140}, {380, 420}, body * 0.6, 6);
  } else {  // boots
    cv::rectangle(img, {180, 160}, {280, 380}, body, cv::FILLED);
    cv::rectangle(img, {180, 340}, {330, 400}, body, cv::FILLED);
    cv::rectangle(img, {360, 160}, {460, 380}, body, cv::FILLED);
    cv::rectangle(img, {360, 340}, {510, 400}, body, cv::FILLED);
  }
  cv::circle(img, {320, 80}, 60, badge, cv::FILLED);
  cv::circle(img, {320, 80}, 60, cv::Scalar(255, 255, 255), 4);
  cv::putText(img, label, {190, 460}, cv::FONT_HERSHEY_DUPLEX, 1.2, badge, 2, cv::LINE_AA);
  cv::Mat noise(img.size(), img.type());
  cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(6));
  cv::theRNG().state = seed;  // randn above used OpenCV's generator: keep it seeded per picture
  img += noise;
  return img;
}

cv::Mat reference_mat(int r) {
  const std::array<cv::Scalar, kReferences> badges = {cv::Scalar(40, 60, 200), cv::Scalar(170, 90, 20),
                                                      cv::Scalar(30, 140, 60)};
  const std::array<cv::Scalar, kReferences> bodies = {cv::Scalar(60, 50, 40), cv::Scalar(40, 80, 120),
                                                      cv::Scalar(90, 90, 90)};
  cv::theRNG().state = 1000 + r;
  // Seeds 0, 4, 8: a jacket, a pack and boots (product_shot picks the shape by seed mod 3).
  return product_shot(static_cast<std::uint64_t>(r) * 4, "NORTHWIND", badges[r], bodies[r]);
}

// A reseller's copy of reference picture r: one of the alterations copies go through.
cv::Mat altered_copy(int n) {
  Random rng(static_cast<std::uint64_t>(n) + 7);
  cv::Mat img = reference_mat(reference_of(n));
  switch (rng.below(5)) {
    case 0:  // resized to half and back up, as thumbnails are
      cv::resize(img, img, {}, 0.5, 0.5, cv::INTER_AREA);
      cv::resize(img, img, {640, 480}, 0, 0, cv::INTER_LINEAR);
      break;
    case 1: {  // cropped by 5%
      const cv::Rect keep(16, 12, 608, 456);
      img = img(keep).clone();
      break;
    }
    case 2:  // brighter by 20%
      img.convertTo(img, -1, 1.2, 0);
      break;
    case 3: {  // a semi-transparent watermark across the picture
      cv::Mat mark = img.clone();
      cv::putText(mark, "best-deals.example", {60, 260}, cv::FONT_HERSHEY_SIMPLEX, 1.6, cv::Scalar(255, 255, 255), 4);
      cv::addWeighted(img, 0.6, mark, 0.4, 0, img);
      break;
    }
    default:  // blurred
      cv::GaussianBlur(img, img, {5, 5}, 1.2);
      break;
  }
  return img;
}

cv::Mat look_alike(int n) {
  Random rng(static_cast<std::uint64_t>(n) + 11);
  const cv::Scalar badge(rng.below(256), rng.below(256), rng.below(256));
  const cv::Scalar body(rng.below(200), rng.below(200), rng.below(200));
  cv::theRNG().state = 5000 + n;
  return product_shot(static_cast<std::uint64_t>(n), std::string(kMisspellings[rng.below(4)]), badge, body);
}

cv::Mat unrelated(int n) {
  Random rng(static_cast<std::uint64_t>(n) + 13);
  cv::theRNG().state = 9000 + n;
  cv::Mat img(480, 640, CV_8UC3, cv::Scalar(rng.below(256), rng.below(256), rng.below(256)));
  const int shapes = 3 + rng.below(6);
  for (int i = 0; i < shapes; ++i) {
    const cv::Scalar colour(rng.below(256), rng.below(256), rng.below(256));
    const cv::Point centre(rng.below(640), rng.below(480));
    if (rng.below(2) == 0) {
      cv::circle(img, centre, 20 + rng.below(120), colour, cv::FILLED);
    } else {
      cv::rectangle(img, centre, centre + cv::Point(30 + rng.below(200), 30 + rng.below(150)), colour, cv::FILLED);
    }
  }
  cv::putText(img, std::string(kGoods[rng.below(static_cast<int>(kGoods.size()))]), {40, 440}, cv::FONT_HERSHEY_SIMPLEX,
              1.1, cv::Scalar(20, 20, 20), 2, cv::LINE_AA);
  return img;
}

std::string encode(const cv::Mat& img, int quality) {
  std::vector<unsigned char> out;
  cv::imencode(".jpg", img, out, {cv::IMWRITE_JPEG_QUALITY, quality});
  return {out.begin(), out.end()};
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

Kind kind_of(int n) {
  check_listing(n);
  switch (n % 10) {
    case 3:
      return Kind::kCopy;
    case 7:
      return Kind::kLookAlike;
    default:
      return Kind::kUnrelated;
  }
}

int reference_of(int n) { return (n / 10) % kReferences; }

Listing listing(int n, const std::string& base) {
  check_listing(n);
  Random rng(static_cast<std::uint64_t>(n) + 17);
  Listing l;
  l.id = fmt::format("demo-{:04}", n);
  const Kind kind = kind_of(n);
  const auto adjective = kAdjectives[rng.below(static_cast<int>(kAdjectives.size()))];
  if (kind == Kind::kCopy) {
    // Copies hide the name half of the time, so a picture has to find them.
    const auto name = kReferenceNames[reference_of(n)];
    l.title = rng.below(2) == 0 ? fmt::format("{} {}", adjective, name)
                                : fmt::format("{} outdoor gear {}", adjective, kFraudTerms[rng.below(4)]);
    l.price = 20 + rng.below(40);  // far below the band
  } else if (kind == Kind::kLookAlike) {
    l.title = fmt::format("{} {} style jacket", adjective, kMisspellings[rng.below(4)]);
    l.price = 40 + rng.below(80);
  } else if (rng.below(8) == 0) {
    // Genuine resale of the brand's goods: the name, a fair price, a picture of something else.
    l.title = fmt::format("Used {} - good condition", kReferenceNames[rng.below(kReferences)]);
    l.price = 90 + rng.below(100);
  } else {
    l.title = fmt::format("{} {}", adjective, kGoods[rng.below(static_cast<int>(kGoods.size()))]);
    l.price = 5 + rng.below(60);
  }
  l.seller = std::string(kSellers[rng.below(static_cast<int>(kSellers.size()))]);
  l.seller_rating = std::round((2.5 + 2.5 * rng.unit()) * 10) / 10;
  l.currency = "EUR";
  l.url = fmt::format("{}/listings/{}", base, l.id);
  l.image_url = fmt::format("{}/images/{}.jpg", base, l.id);
  return l;
}

std::vector<Listing> search(const std::string& query, int offset, int limit, const std::string& base) {
  std::vector<std::string> words;
  std::istringstream in(lower(query));
  for (std::string w; in >> w;) words.push_back(w);
  std::vector<Listing> out;
  int matched = 0;
  for (int n = 0; n < kListings && static_cast<int>(out.size()) < limit; ++n) {
    Listing l = listing(n, base);
    const std::string title = lower(l.title);
    const bool all = std::all_of(words.begin(), words.end(),
                                 [&](const std::string& w) { return title.find(w) != std::string::npos; });
    if (!all) continue;
    if (matched++ >= offset) out.push_back(std::move(l));
  }
  return out;
}

std::string listing_image(int n) {
  check_listing(n);
  switch (kind_of(n)) {
    case Kind::kCopy:
      return encode(altered_copy(n), n % 20 == 3 ? 40 : 85);  // some recompressed hard
    case Kind::kLookAlike:
      return encode(look_alike(n), 85);
    default:
      return encode(unrelated(n), 85);
  }
}

std::string reference_image(int r) {
  if (r < 0 || r >= kReferences) throw std::out_of_range("no such demo reference image");
  return encode(reference_mat(r), 92);
}

std::string brand_body_json() {
  nlohmann::json misspellings = nlohmann::json::array();
  // Those the look-alikes use, but N0rthwind: the scorer undoes look-alike digits itself (0 → o), so it reads
  // as the name, and as a misspelling it would flag every listing that names the brand.
  for (int i : {0, 2, 3}) misspellings.push_back(kMisspellings[i]);
  nlohmann::json fraud = nlohmann::json::array();
  for (auto f : kFraudTerms) fraud.push_back(f);
  return nlohmann::json{
      {"name", "Northwind"},          {"aliases", {"Northwind Outdoor"}},
      {"misspellings", misspellings}, {"fraud_terms", fraud},
      {"keywords", {"outdoor gear"}},  // the category fakes hide in (copies titled without the name use it)
      {"categories", {"outdoor"}},    {"price_band", {{"min", 90}, {"max", 260}, {"currency", "EUR"}}}}
      .dump();
}

}  // namespace tyto::products::brand_protection::demo
