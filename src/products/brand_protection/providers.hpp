// Search providers: where a scan finds listings and their pictures. One interface, three kinds:
//   {"type": "demo"}                          the demo marketplace, in process (demo_marketplace.hpp)
//   {"type": "file", "object_id": "…"}        a CSV or JSON file of listings uploaded through the upload flow
//   {"type": "http_json", "url_template": …}  a ScraperAPI-style JSON search endpoint (fields mapped by JSON
//                                             pointers, API key, timeout, pages, request rate)
//   {"type": "saved", "provider_id": "…"}     a saved provider (saved_providers.hpp), resolved to one of the
//                                             above before make_provider
// Every fetch of a URL goes through the platform's outbound client, so the SSRF guard (private addresses
// refused unless `outbound.allow` names them), timeouts and size caps apply to listings and pictures alike.
//
// A provider is made for one scan and used from that scan's stage only: not thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tyto::http {
class OutboundClient;
}

namespace tyto::products::brand_protection {

struct ProviderListing {
  std::string id;  // the provider's own id: listings are keyed by (provider, id) across rescans
  std::string title;
  std::string seller;
  std::optional<double> seller_rating;  // 0–5 where the provider says
  std::optional<double> price;
  std::string currency;
  std::string url;
  std::string image_url;
};

struct ProviderPage {
  std::vector<ProviderListing> listings;
  bool last = true;  // no page after this one
};

struct ProviderServices {
  const http::OutboundClient& client;
  // Reads an object of the scan's tenant (the file provider's file), at most max_bytes.
  std::function<std::string(const std::string& object_id, std::size_t max_bytes)> read_object;
  std::size_t max_image_bytes = 25u << 20;
  // Waits until the provider may take one more request (its rate, shared by every scan of every instance);
  // empty: the provider paces its own requests within this scan.
  std::function<void()> pace;
};

class Provider {
 public:
  virtual ~Provider() = default;
  // "demo", "file" or "http_json", for listings' `provider` member.
  virtual std::string kind() const = 0;
  // The page-th page (0-based) of listings for `query`. Throws tyto::Error: kValidationFailed when the
  // answer is not what the spec describes, kUnavailable when the provider cannot be reached (retried).
  virtual ProviderPage search(const std::string& query, int page) = 0;
  // The listing's picture, checked to be a JPEG, PNG or WebP of at most max_image_bytes. Throws tyto::Error
  // (kValidationFailed for what is not such a picture, kForbidden for a refused address, kUnavailable).
  virtual std::string fetch_image(const ProviderListing& listing) = 0;
};

// "scheme://host[:port]" of an absolute URL: the key its requests share their rate under.
std::string url_origin(const std::string& url);

// The JSON Schema of a provider spec (the `provider` member of a scan request).
nlohmann::json provider_schema();

// Makes the provider a spec describes. Throws Error(kValidationFailed) naming the bad member.
std::unique_ptr<Provider> make_provider(const nlohmann::json& spec, ProviderServices services);

// "image/jpeg", "image/png" or "image/webp" from the first bytes, or empty for anything else.
std::string picture_type(std::string_view bytes);

// Parses CSV text (RFC 4180: quoted fields, doubled quotes, CRLF or LF) into rows of fields.
// Throws Error(kValidationFailed) for an unterminated quote.
std::vector<std::vector<std::string>> parse_csv(std::string_view text);

}  // namespace tyto::products::brand_protection
