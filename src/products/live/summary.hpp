// Summaries of a session's recent events: objects seen with counts and tracks, zone and line activity,
// the transcript and the source's health, each statement citing the ids of the events it rests on.
//
// Without products.live.chat_url the statements come from templates. With it, the events (only those) go
// to that OpenAI-compatible chat completions endpoint (a local server; through the outbound guard), which
// is asked to cite event ids as [id]; a statement citing no event of the set is dropped and counted, so
// nothing unsupported reaches the caller. When the endpoint fails, the template summary is answered with
// a warning.
#pragma once

#include "runtime.hpp"
#include "tyto/events/events.hpp"
#include "tyto/http/outbound_client.hpp"

#include <nlohmann/json.hpp>

#include <vector>

namespace tyto::products::live {

struct SummaryInput {
  nlohmann::json session;             // session_json
  std::vector<events::Event> events;  // of the window, oldest first, metric events left out
  double last_s = 60;
};

// {session_id, last_s, source: "template"|"chat", statements: [{text, event_ids}], event_count, ...}
nlohmann::json summarize(const SummaryInput& in, const LiveOptions& options, const http::OutboundClient& client);
nlohmann::json template_statements(const SummaryInput& in);
nlohmann::json summary_schema();

}  // namespace tyto::products::live
