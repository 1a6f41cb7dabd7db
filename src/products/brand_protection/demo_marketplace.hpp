// The demo marketplace: listings and pictures that Tyto makes itself, so that `make run` shows a working
// scan with no outside service, and the tests and benchmarks have a marketplace whose truth is known.
//
// Everything is generated from the listing's number, the same on every call and every machine: a
// listing's title, seller and price, and its picture (a JPEG drawn with OpenCV). The demo brand "Northwind"
// has three reference pictures (a logo on a product shot); one listing in ten shows a copy of one of them,
// altered the way resellers alter pictures (recompressed, resized, cropped, brightened, watermarked), one in
// ten a look-alike (the same layout with another name and colours), and the rest unrelated goods. Titles
// mix the brand's name, its misspellings and fraud terms with ordinary words, so text alone is not enough.
//
// Pure functions of their arguments: thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tyto::products::brand_protection::demo {

inline constexpr int kListings = 1000;  // listings 0 … kListings-1
inline constexpr int kReferences = 3;

struct Listing {
  std::string id;  // "demo-0042"
  std::string title;
  std::string seller;
  double seller_rating = 0;  // 0–5
  double price = 0;
  std::string currency;  // EUR
  std::string url;       // a path under the demo marketplace's routes
  std::string image_url;
};

enum class Kind { kCopy, kLookAlike, kUnrelated };

// What listing n really is (the tests' ground truth), and for a copy which reference it copies.
Kind kind_of(int n);
int reference_of(int n);

// Listings whose title contains every word of `query` (case-insensitive; an empty query matches all), from
// the offset-th match on, at most `limit`. `base` prefixes the URLs ("/api/v1/brands/demo-marketplace").
std::vector<Listing> search(const std::string& query, int offset, int limit, const std::string& base);
Listing listing(int n, const std::string& base);

// JPEG bytes: listing n's picture, or the demo brand's reference picture r (0 … kReferences-1). Throws
// std::out_of_range for a number outside the marketplace.
std::string listing_image(int n);
std::string reference_image(int r);

// The demo brand, as the body of POST /api/v1/brands (name, misspellings, fraud terms, keywords, price band).
std::string brand_body_json();

}  // namespace tyto::products::brand_protection::demo
