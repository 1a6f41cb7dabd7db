#include "summary.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/logging.hpp"

#include <fmt/format.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace tyto::products::live {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxCited = 20;       // event ids one statement lists at most
constexpr std::size_t kMaxChatEvents = 400;  // events sent to a chat endpoint at most

json ids_of(const std::vector<std::int64_t>& ids) {
  json out = json::array();
  for (std::size_t i = 0; i < ids.size() && i < kMaxCited; ++i) out.push_back(ids[i]);
  return out;
}

std::string plural(std::int64_t n, const std::string& word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// The compact form of one event a chat model reads.
json chat_event(const events::Event& e) {
  json d = e.data;
  if (e.type == "detection" && d.contains("detections")) {
    std::map<std::string, int> labels;
    for (const auto& x : d["detections"]) labels[x.value("label", "?")]++;
    d = {{"t_s", e.data.value("t_s", 0.0)}, {"labels", labels}};
  }
  return {{"id", e.id}, {"type", e.type}, {"data", d}};
}

json chat_statements(const SummaryInput& in, const LiveOptions& o, const http::OutboundClient& client,
                     std::int64_t& dropped) {
  json list = json::array();
  std::set<std::int64_t> known;
  for (std::size_t i = in.events.size() > kMaxChatEvents ? in.events.size() - kMaxChatEvents : 0; i < in.events.size();
       ++i) {
    list.push_back(chat_event(in.events[i]));
    known.insert(in.events[i].id);
  }
  const json request = {
      {"model", o.chat_model},
      {"temperature", 0},
      {"messages",
       {{{"role", "system"},
         {"content",
          "You summarise the events of a video and audio analysis session. Use only the events given. Write one "
          "statement per line. End every statement with the ids of the events it rests on, in square brackets, "
          "like [12, 15]."}},
        {{"role", "user"}, {"content", fmt::format("Events of the last {} seconds:\n{}", in.last_s, list.dump())}}}}};
  http::OutboundRequest req;
  req.url = o.chat_url;
  req.headers = {{"Content-Type", "application/json"}};
  req.body = request.dump();
  req.timeout = std::chrono::seconds(30);
  req.max_response_bytes = 256 * 1024;
  const auto res = client.send(req);
  if (res.status != 200) throw Error(ErrorCode::kUnavailable, fmt::format("the chat endpoint answered {}", res.status));
  const auto body = json::parse(res.body);
  const std::string text = body.at("choices").at(0).at("message").at("content").get<std::string>();
  json out = json::array();
  static const std::regex cite(R"(\[([0-9,\s]+)\])");
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    std::vector<std::int64_t> ids;
    for (std::sregex_iterator it(line.begin(), line.end(), cite), stop; it != stop; ++it) {
      std::string inner = (*it)[1].str();
      std::replace(inner.begin(), inner.end(), ',', ' ');
      std::istringstream in_ids(inner);
      for (std::int64_t id = 0; in_ids >> id;)
        if (known.count(id)) ids.push_back(id);
    }
    const std::string statement = std::regex_replace(line, cite, "");
    if (statement.find_first_not_of(" \t-*•") == std::string::npos) continue;
    if (ids.empty()) {
      ++dropped;  // a statement resting on no event of the set
      continue;
    }
    out.push_back({{"text", statement.substr(statement.find_first_not_of(" \t-*•"))}, {"event_ids", ids_of(ids)}});
  }
  return out;
}

}  // namespace

json template_statements(const SummaryInput& in) {
  std::map<std::string, std::vector<std::int64_t>> detections, tracks;
  std::map<std::string, std::int64_t> detected;
  std::map<std::string, std::vector<std::int64_t>> zone_events, line_events;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> zone_counts, line_counts;  // enter/leave, in/out
  std::vector<std::int64_t> transcript_ids, source_ids, motion_ids;
  std::string transcript;
  std::int64_t stalls = 0, recoveries = 0, motions = 0;
  for (const auto& e : in.events) {
    const auto& d = e.data;
    if (e.type == "detection") {
      for (const auto& x : d.value("detections", json::array())) {
        const std::string label = x.value("label", "object");
        ++detected[label];
        auto& ids = detections[label];
        if (ids.empty() || ids.back() != e.id) ids.push_back(e.id);
      }
    } else if (e.type == "track" && d.value("state", "") == "started") {
      tracks[d.value("label", "object")].push_back(e.id);
    } else if (e.type == "zone") {
      const std::string zone = d.value("name", d.value("zone", "zone"));
      zone_events[zone].push_back(e.id);
      (d.value("event", d.value("kind", "")) == "enter" ? zone_counts[zone].first : zone_counts[zone].second)++;
    } else if (e.type == "line") {
      const std::string line = d.value("name", d.value("line", "line"));
      line_events[line].push_back(e.id);
      (d.value("direction", "") == "in" ? line_counts[line].first : line_counts[line].second)++;
    } else if (e.type == "transcript" && d.value("final", false) && !d.value("text", "").empty()) {
      transcript_ids.push_back(e.id);
      transcript += (transcript.empty() ? "" : " ") + d.value("text", "");
    } else if (e.type == "source") {
      source_ids.push_back(e.id);
      const std::string state = d.value("state", "");
      if (state == "stalled") ++stalls;
      if (state == "recovered") ++recoveries;
    } else if (e.type == "motion" && d.value("state", "") == "started") {
      ++motions;
      motion_ids.push_back(e.id);
    }
  }
  json out = json::array();
  std::set<std::string> labels;
  for (const auto& [label, _] : detected) labels.insert(label);
  for (const auto& [label, _] : tracks) labels.insert(label);
  for (const auto& label : labels) {
    std::vector<std::int64_t> ids = tracks[label];
    ids.insert(ids.end(), detections[label].begin(), detections[label].end());
    std::string text = fmt::format("{}: {} seen in {}", label, plural(static_cast<std::int64_t>(tracks[label].size()), "track"),
                                   plural(static_cast<std::int64_t>(detections[label].size()), "detection event"));
    out.push_back({{"text", text}, {"event_ids", ids_of(ids)}});
  }
  for (const auto& [zone, ids] : zone_events) {
    out.push_back({{"text", fmt::format("Zone {}: {} and {}", zone, plural(zone_counts[zone].first, "entry"),
                                        plural(zone_counts[zone].second, "exit"))},
                   {"event_ids", ids_of(ids)}});
  }
  for (const auto& [line, ids] : line_events) {
    out.push_back({{"text", fmt::format("Line {}: {} in, {} out", line, line_counts[line].first, line_counts[line].second)},
                   {"event_ids", ids_of(ids)}});
  }
  if (motions > 0) {
    out.push_back({{"text", fmt::format("Motion started {}", plural(motions, "time"))}, {"event_ids", ids_of(motion_ids)}});
  }
  if (!transcript.empty()) {
    out.push_back({{"text", "Said: \"" + transcript + "\""}, {"event_ids", ids_of(transcript_ids)}});
  }
  if (stalls > 0 || recoveries > 0) {
    out.push_back({{"text", fmt::format("The source stalled {} and recovered {}", plural(stalls, "time"),
                                        plural(recoveries, "time"))},
                   {"event_ids", ids_of(source_ids)}});
  }
  if (out.empty()) {
    out.push_back({{"text", fmt::format("Nothing was detected or said in the last {} seconds", in.last_s)},
                   {"event_ids", json::array()}});
  }
  return out;
}

json summarize(const SummaryInput& in, const LiveOptions& options, const http::OutboundClient& client) {
  json out = {{"session_id", in.session.value("id", "")},
              {"last_s", in.last_s},
              {"event_count", in.events.size()},
              {"source", "template"}};
  if (!options.chat_url.empty() && !in.events.empty()) {
    std::int64_t dropped = 0;
    try {
      out["statements"] = chat_statements(in, options, client, dropped);
      out["source"] = "chat";
      out["model"] = options.chat_model;
      out["dropped_statements"] = dropped;
      return out;
    } catch (const std::exception& e) {
      log::warn("live: the chat endpoint failed; answering the template summary", {{"error", e.what()}});
      out["warning"] = std::string("the chat endpoint failed: ") + e.what();
    }
  }
  out["statements"] = template_statements(in);
  return out;
}

json summary_schema() {
  const json statement = {
      {"type", "object"},
      {"properties",
       {{"text", {{"type", "string"}}}, {"event_ids", {{"type", "array"}, {"items", {{"type", "integer"}}}}}}}};
  return {{"type", "object"},
          {"properties",
           {{"session_id", {{"type", "string"}}},
            {"last_s", {{"type", "number"}}},
            {"event_count", {{"type", "integer"}}},
            {"source", {{"type", "string"}, {"enum", {"template", "chat"}}}},
            {"statements", {{"type", "array"}, {"items", statement}}}}}};
}

}  // namespace tyto::products::live
