// The signals of a listing against a brand, each against its definition in docs/modules/scoring.md.
#include "tyto/modules/scoring/listing.hpp"
#include "tyto/modules/scoring/text.hpp"

#include <catch2/catch.hpp>

using namespace tyto::scoring;

namespace {

Brand rolex() {
  Brand brand;
  brand.name = "Rolex";
  brand.misspellings = {"rollex"};
  brand.keywords = {"submariner", "datejust", "daytona", "oyster"};
  brand.price_band = PriceBand{5000, 60000, "USD"};
  return brand;
}

}  // namespace

TEST_CASE("A brand name matches across split, joined and look-alike spellings", "[scoring][listing]") {
  CHECK(match_name("Adidas", "original adi das shoes").similarity == 1.0);
  CHECK(match_name("Louis Vuitton", "louisvuitton neverfull").similarity == 1.0);
  CHECK(match_name("Louis Vuitton", "LOUIS — VUITTON bag").similarity == 1.0);
  CHECK(match_name("Rolex", "R0LEX submariner").similarity == 1.0);
  // One typo: the best window "rloex" against "rolex": ratio 1 − 2/10 (indel 2).
  CHECK(match_name("Rolex", "rloex watch").similarity == Approx(0.8));
  const NameMatch none = match_name("Rolex", "");
  CHECK(none.similarity == 0.0);
  CHECK(none.matched.empty());
}

TEST_CASE("Seller risk is the noisy-or of a new account, a low rating and earlier infringements",
          "[scoring][listing]") {
  Listing listing;
  listing.title = "Rolex";
  CHECK_FALSE(extract_signals(rolex(), listing).signals.contains("seller_risk"));
  listing.seller.account_age_days = 182.5;  // 1 − 182.5/365 = 0.5
  CHECK(extract_signals(rolex(), listing).signals.at("seller_risk") == Approx(0.5));
  listing.seller.rating = 3.25;  // (4.5 − 3.25)/2.5 = 0.5 → 1 − 0.5·0.5
  CHECK(extract_signals(rolex(), listing).signals.at("seller_risk") == Approx(0.75));
  listing.seller.prior_infringements = 1;  // 1/3 → 1 − 0.5·0.5·(2/3)
  CHECK(extract_signals(rolex(), listing).signals.at("seller_risk") == Approx(1.0 - 0.5 * 0.5 * 2.0 / 3.0));
  listing.seller = Seller{};
  listing.seller.account_age_days = 4000;
  listing.seller.rating = 5;
  listing.seller.prior_infringements = 0;
  CHECK(extract_signals(rolex(), listing).signals.at("seller_risk") == 0.0);
}

TEST_CASE("The price counts only in the band's currency and for a title that names the brand", "[scoring][listing]") {
  Listing listing;
  listing.title = "Rolex Submariner";
  listing.price = 1250;
  listing.currency = "usd";
  CHECK(extract_signals(rolex(), listing).signals.at("price_below_band") == Approx(0.75));  // (5000 − 1250)/5000
  listing.price = 7000;
  CHECK(extract_signals(rolex(), listing).signals.at("price_below_band") == 0.0);
  listing.price = 1250;
  listing.currency = "EUR";
  CHECK_FALSE(extract_signals(rolex(), listing).signals.contains("price_below_band"));
  listing.currency = "";
  CHECK(extract_signals(rolex(), listing).signals.contains("price_below_band"));
  listing.title = "Garden hose";
  CHECK_FALSE(extract_signals(rolex(), listing).signals.contains("price_below_band"));
}

TEST_CASE("The description adds only what the title does not already show", "[scoring][listing]") {
  Listing listing;
  listing.title = "Luxury watch for men";
  listing.description = "Genuine Rolex movement";
  const Evidence only_description = extract_signals(rolex(), listing);
  const double title = only_description.signals.at("name_similarity");
  CHECK(title < 0.8);
  CHECK(only_description.signals.at("description_similarity") == Approx(1.0 - title));
  listing.title = "Rolex watch";
  CHECK(extract_signals(rolex(), listing).signals.at("description_similarity") == 0.0);
  listing.description = "";
  CHECK_FALSE(extract_signals(rolex(), listing).signals.contains("description_similarity"));
}

TEST_CASE("Misspellings, keywords, fraud and accessory terms match as whole normalised words", "[scoring][listing]") {
  Listing listing;
  listing.title = "ROLLEX Oyster Datejust — AAA+ replica";
  listing.description = "Daytona style. Strap for Rolex watches";
  const Evidence e = extract_signals(rolex(), listing);
  CHECK(e.misspellings_found == std::vector<std::string>{"rollex"});
  CHECK(e.signals.at("misspelling_hit") == 1.0);
  CHECK(e.keywords_found == std::vector<std::string>{"datejust", "daytona", "oyster"});
  CHECK(e.signals.at("keyword_hits") == 1.0);
  CHECK(e.fraud_terms_found == std::vector<std::string>{"replica", "aaa"});
  CHECK(e.signals.at("fraud_terms") == 1.0);
  CHECK(e.accessory_terms_found == std::vector<std::string>{"strap for"});
  CHECK(e.signals.at("accessory_terms") == Approx(0.5));
  // Inside another word is not a hit: "replicas" is not "replica", "oysters" not "oyster".
  listing.title = "replicas of oysters";
  listing.description = "";
  const Evidence inside = extract_signals(rolex(), listing);
  CHECK(inside.fraud_terms_found.empty());
  CHECK(inside.keywords_found.empty());
}
