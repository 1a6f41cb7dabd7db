#include "providers.hpp"

#include "demo_marketplace.hpp"
#include "tyto/core/error.hpp"
#include "tyto/http/outbound_client.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <thread>

namespace tyto::products::brand_protection {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxListingsFile = 16u << 20;  // a listings file of at most 16 MiB
constexpr std::size_t kMaxField = 2000;              // characters kept of any one field
constexpr int kDemoPageSize = 100;

[[noreturn]] void bad(std::string field, std::string why) {
  throw Error(ErrorCode::kValidationFailed, "invalid provider", {{"fields", {{std::move(field), std::move(why)}}}});
}

std::string clip(std::string s) {
  if (s.size() > kMaxField) s.resize(kMaxField);
  return s;
}

std::optional<double> number_of(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    double d = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec == std::errc() && end == s.data() + s.size() && std::isfinite(d)) return d;
  }
  return std::nullopt;
}

std::string text_of(const json& v) {
  if (v.is_string()) return clip(v.get<std::string>());
  if (v.is_number()) return v.dump();
  return {};
}

// One listing from a JSON object, each field found at its pointer; a listing needs an id and a title.
std::optional<ProviderListing> listing_from(const json& item, const json& fields) {
  auto at = [&](const char* name) -> json {
    const std::string pointer = fields.value(name, std::string("/") + name);
    try {
      const json::json_pointer p(pointer);
      return item.contains(p) ? item.at(p) : json(nullptr);
    } catch (const json::exception&) {
      return nullptr;
    }
  };
  ProviderListing l;
  l.id = text_of(at("id"));
  l.title = text_of(at("title"));
  if (l.id.empty() || l.title.empty()) return std::nullopt;
  l.seller = text_of(at("seller"));
  l.seller_rating = number_of(at("seller_rating"));
  l.price = number_of(at("price"));
  l.currency = text_of(at("currency"));
  l.url = text_of(at("url"));
  l.image_url = text_of(at("image_url"));
  return l;
}

std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

void replace_all(std::string& s, std::string_view what, std::string_view with) {
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size())) {
    s.replace(at, what.size(), with);
  }
}

// "https://host:port" of an absolute URL, to resolve the relative picture URLs an API answers with.
std::string origin_of(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return {};
  const auto path = url.find('/', scheme + 3);
  return path == std::string::npos ? url : url.substr(0, path);
}

// GETs a URL through the outbound client, retrying what may pass (unreachable, 429, 5xx) twice with
// backoff. Any other status is an error naming it.
http::OutboundResponse get(const http::OutboundClient& client, const std::string& url,
                           const std::vector<std::pair<std::string, std::string>>& headers,
                           std::chrono::milliseconds timeout, std::size_t max_bytes) {
  http::OutboundRequest req;
  req.method = "GET";
  req.url = url;
  req.headers = headers;
  req.timeout = timeout;
  req.max_response_bytes = max_bytes;
  for (int attempt = 0;; ++attempt) {
    std::optional<http::OutboundResponse> res;
    try {
      res = client.send(req);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kUnavailable || attempt == 2) throw;
    }
    if (res && res->status == 200) {
      if (res->truncated) {
        throw Error(ErrorCode::kValidationFailed, "the answer is larger than allowed",
                    {{"url", url}, {"max_bytes", max_bytes}});
      }
      return std::move(*res);
    }
    const bool transient = !res || res->status == 429 || res->status >= 500;
    if (!transient || attempt == 2) {
      throw Error(ErrorCode::kUnavailable, fmt::format("{} answered {}", url, res ? res->status : 0),
                  {{"url", url}, {"status", res ? res->status : 0}});
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
  }
}

std::string checked_picture(std::string bytes, const std::string& from) {
  if (picture_type(bytes).empty()) {
    throw Error(ErrorCode::kValidationFailed, "not a JPEG, PNG or WebP picture", {{"url", from}});
  }
  return bytes;
}

class DemoProvider final : public Provider {
 public:
  std::string kind() const override { return "demo"; }
  // The demo browses the whole marketplace, as a scan of a category would: the query is not applied, so the
  // copies that hide the brand's name are there to be found by their pictures.
  ProviderPage search(const std::string&, int page) override {
    auto found = demo::search("", page * kDemoPageSize, kDemoPageSize + 1, "/api/v1/brands/demo-marketplace");
    ProviderPage out;
    out.last = static_cast<int>(found.size()) <= kDemoPageSize;
    if (!out.last) found.pop_back();
    for (auto& l : found) {
      out.listings.push_back({l.id, l.title, l.seller, l.seller_rating, l.price, l.currency, l.url, l.image_url});
    }
    return out;
  }
  std::string fetch_image(const ProviderListing& l) override {
    const auto n = l.id.size() == 9 && l.id.rfind("demo-", 0) == 0 ? std::atoi(l.id.c_str() + 5) : -1;
    if (n < 0 || n >= demo::kListings) throw Error(ErrorCode::kNotFound, "no such demo listing", {{"id", l.id}});
    return demo::listing_image(n);
  }
};

// Listings from a file: CSV with a header row naming the columns (id, title, seller, seller_rating, price,
// currency, url, image_url), or JSON (an array of such objects). Pictures are fetched from image_url.
class FileProvider final : public Provider {
 public:
  FileProvider(const json& spec, ProviderServices s) : s_(std::move(s)) {
    const auto id = spec.value("object_id", std::string());
    if (id.empty()) bad("provider.object_id", "is required");
    const std::string text = s_.read_object(id, kMaxListingsFile);
    if (const auto first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
        first != std::string::npos && (text[first] == '[' || text[first] == '{')) {
      json doc;
      try {
        doc = json::parse(text);
      } catch (const json::exception&) {
        bad("provider.object_id", "the file is not valid JSON");
      }
      const json& items = doc.is_object() && doc.contains("listings") ? doc["listings"] : doc;
      if (!items.is_array()) bad("provider.object_id", "a JSON file holds an array of listings");
      for (const auto& item : items) {
        if (auto l = item.is_object() ? listing_from(item, json::object()) : std::nullopt) listings_.push_back(*l);
      }
    } else {
      const auto rows = parse_csv(text);
      if (rows.empty()) bad("provider.object_id", "the file holds no listings");
      const auto& header = rows.front();
      for (std::size_t r = 1; r < rows.size(); ++r) {
        json item = json::object();
        for (std::size_t c = 0; c < header.size() && c < rows[r].size(); ++c) item[header[c]] = rows[r][c];
        if (auto l = listing_from(item, json::object())) listings_.push_back(*l);
      }
    }
    if (listings_.empty()) bad("provider.object_id", "the file holds no listing with an id and a title");
  }
  std::string kind() const override { return "file"; }
  ProviderPage search(const std::string&, int page) override {
    // A file is its own answer: every listing, whatever the query, in pages of 100.
    ProviderPage out;
    const std::size_t from = static_cast<std::size_t>(page) * 100;
    for (std::size_t i = from; i < listings_.size() && i < from + 100; ++i) out.listings.push_back(listings_[i]);
    out.last = from + 100 >= listings_.size();
    return out;
  }
  std::string fetch_image(const ProviderListing& l) override {
    if (l.image_url.empty()) throw Error(ErrorCode::kValidationFailed, "the listing has no image_url");
    return checked_picture(get(s_.client, l.image_url, {}, std::chrono::seconds(15), s_.max_image_bytes).body,
                           l.image_url);
  }

 private:
  ProviderServices s_;
  std::vector<ProviderListing> listings_;
};

class HttpJsonProvider final : public Provider {
 public:
  HttpJsonProvider(const json& spec, ProviderServices s) : s_(std::move(s)) {
    template_ = spec.value("url_template", std::string());
    if (template_.find("{query}") == std::string::npos) bad("provider.url_template", "must hold {query}");
    origin_ = origin_of(template_);
    items_ = spec.value("items", std::string());
    fields_ = spec.value("fields", json::object());
    page_size_ = spec.value("page_size", 50);
    max_pages_ = spec.value("max_pages", 10);
    timeout_ = std::chrono::milliseconds(spec.value("timeout_ms", 10000));
    if (const auto rate = spec.value("rate_per_minute", 0.0); rate > 0) {
      spacing_ = std::chrono::milliseconds(static_cast<std::int64_t>(60000.0 / rate));
    }
    if (spec.contains("api_key")) {
      const std::string key = spec["api_key"];
      if (template_.find("{api_key}") != std::string::npos) {
        replace_all(template_, "{api_key}", url_encode(key));
      } else {
        headers_.emplace_back(spec.value("api_key_header", std::string("X-Api-Key")), key);
      }
    }
    try {
      (void)json::json_pointer(items_);
    } catch (const json::exception&) {
      bad("provider.items", "must be a JSON pointer (\"/results\", or \"\" for the whole answer)");
    }
  }
  std::string kind() const override { return "http_json"; }

  ProviderPage search(const std::string& query, int page) override {
    std::string url = template_;
    replace_all(url, "{query}", url_encode(query));
    replace_all(url, "{page}", std::to_string(page + 1));
    replace_all(url, "{offset}", std::to_string(page * page_size_));
    replace_all(url, "{limit}", std::to_string(page_size_));
    pace();
    const auto res = get(s_.client, url, headers_, timeout_, 4u << 20);
    json doc;
    try {
      doc = json::parse(res.body);
    } catch (const json::exception&) {
      throw Error(ErrorCode::kValidationFailed, "the provider's answer is not JSON", {{"url", url}});
    }
    const json::json_pointer pointer(items_);
    if (!doc.contains(pointer) || !doc.at(pointer).is_array()) {
      throw Error(ErrorCode::kValidationFailed, "the provider's answer has no array of items at " + items_,
                  {{"url", url}});
    }
    ProviderPage out;
    for (const auto& item : doc.at(pointer)) {
      if (auto l = item.is_object() ? listing_from(item, fields_) : std::nullopt) {
        if (!l->image_url.empty() && l->image_url.front() == '/') l->image_url = origin_ + l->image_url;
        if (!l->url.empty() && l->url.front() == '/') l->url = origin_ + l->url;
        out.listings.push_back(std::move(*l));
      }
    }
    out.last = doc.at(pointer).empty() || page + 1 >= max_pages_;
    return out;
  }

  std::string fetch_image(const ProviderListing& l) override {
    if (l.image_url.empty()) throw Error(ErrorCode::kValidationFailed, "the listing has no image_url");
    // The API key goes only to the provider's own origin, never to a picture host it points at.
    const bool same_origin = origin_of(l.image_url) == origin_;
    pace();
    return checked_picture(
        get(s_.client, l.image_url, same_origin ? headers_ : decltype(headers_){}, timeout_, s_.max_image_bytes).body,
        l.image_url);
  }

 private:
  // Waits for the shared rate when the scan has one; else keeps requests at least `spacing_` apart (the
  // provider's rate) within this scan.
  void pace() {
    if (s_.pace) return s_.pace();
    if (spacing_.count() == 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now < next_) std::this_thread::sleep_for(next_ - now);
    next_ = std::max(now, next_) + spacing_;
  }

  ProviderServices s_;
  std::string template_;
  std::string origin_;
  std::string items_;
  json fields_;
  int page_size_ = 50;
  int max_pages_ = 10;
  std::chrono::milliseconds timeout_{10000};
  std::chrono::milliseconds spacing_{0};
  std::chrono::steady_clock::time_point next_{};
  std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace

std::string url_origin(const std::string& url) { return origin_of(url); }

json provider_schema() {
  const json pointer = {{"type", "string"}, {"maxLength", 200}};
  return {{"type", "object"},
          {"required", {"type"}},
          {"additionalProperties", false},
          {"properties",
           {{"type", {{"type", "string"}, {"enum", {"demo", "file", "http_json", "saved"}}}},
            {"object_id", {{"type", "string"}}},
            {"provider_id", {{"type", "string"}}},
            {"url_template", {{"type", "string"}, {"minLength", 10}, {"maxLength", 2000}}},
            {"items", pointer},
            {"fields",
             {{"type", "object"},
              {"additionalProperties", false},
              {"properties",
               {{"id", pointer},
                {"title", pointer},
                {"seller", pointer},
                {"seller_rating", pointer},
                {"price", pointer},
                {"currency", pointer},
                {"url", pointer},
                {"image_url", pointer}}}}},
            {"api_key", {{"type", "string"}, {"minLength", 1}, {"maxLength", 500}}},
            {"api_key_header", {{"type", "string"}, {"pattern", "^[A-Za-z0-9-]{1,64}$"}}},
            {"page_size", {{"type", "integer"}, {"minimum", 1}, {"maximum", 500}}},
            {"max_pages", {{"type", "integer"}, {"minimum", 1}, {"maximum", 100}}},
            {"timeout_ms", {{"type", "integer"}, {"minimum", 100}, {"maximum", 60000}}},
            {"rate_per_minute", {{"type", "number"}, {"minimum", 0}, {"maximum", 6000}}}}}};
}

std::unique_ptr<Provider> make_provider(const json& spec, ProviderServices services) {
  const auto type = spec.value("type", std::string());
  if (type == "demo") return std::make_unique<DemoProvider>();
  if (type == "file") return std::make_unique<FileProvider>(spec, std::move(services));
  if (type == "http_json") return std::make_unique<HttpJsonProvider>(spec, std::move(services));
  bad("provider.type", "demo, file or http_json (a saved provider is resolved first)");
}

std::string picture_type(std::string_view b) {
  if (b.size() >= 3 && b.substr(0, 3) == "\xFF\xD8\xFF") return "image/jpeg";
  if (b.size() >= 8 && b.substr(0, 8) == "\x89PNG\r\n\x1A\n") return "image/png";
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return "image/webp";
  return {};
}

std::vector<std::vector<std::string>> parse_csv(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a byte-order mark
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && field.empty()) {
      quoted = any = true;
    } else if (c == ',') {
      row.push_back(clip(std::move(field)));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        row.push_back(clip(std::move(field)));
        rows.push_back(std::move(row));
      }
      row.clear();
      field.clear();
      any = false;
    } else {
      field.push_back(c);
      any = true;
    }
  }
  if (quoted) throw Error(ErrorCode::kValidationFailed, "a quoted CSV field never ends");
  if (any || !field.empty()) {
    row.push_back(clip(std::move(field)));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace tyto::products::brand_protection
