// An external lookup provider shaped like AcoustID's web service (https://acoustid.org/webservice, "lookup"):
// asked only when the catalog itself recognised nothing, with the Chromaprint fingerprint and duration, through
// the platform's outbound client (so its address passes the outbound policy like any URL a user chose).
//
//   POST {url}  (application/x-www-form-urlencoded)
//     client={api_key}&meta=recordings&duration={whole seconds}&fingerprint={compressed fingerprint}
//   → {"status": "ok", "results": [{"id", "score", "recordings": [{"id", "title", "artists": [{"name"}]}]}]}
//
// Thread-safety: stateless; blocks on the network (call from a job thread).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

namespace tyto::http {
class OutboundClient;
}

namespace tyto::products::music {

struct ExternalProvider {
  std::string url;      // empty: no provider
  std::string api_key;  // the provider's application key
  std::chrono::milliseconds timeout{8000};
  double min_score = 0.5;
};

// The provider's recordings scoring at least min_score, best first: [{provider: "acoustid", id, recording_id,
// title, artists, score}] (at most 5). Throws tyto::Error: kUnavailable when the provider cannot be reached or
// answers with an error or something unreadable, kForbidden when the outbound policy refuses its address.
nlohmann::json external_lookup(const http::OutboundClient& client, const ExternalProvider& provider,
                               const std::string& fingerprint, double duration_s);

}  // namespace tyto::products::music
