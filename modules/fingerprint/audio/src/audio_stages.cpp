// The stages audio.fingerprint and audio.match.
#include "tyto/core/error.hpp"
#include "tyto/fingerprint/audio.hpp"
#include "tyto/fingerprint/audio_match.hpp"
#include "tyto/fingerprint/audio_wiring.hpp"

#include <fmt/format.h>

namespace tyto::fingerprint {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxAudioBytes = 512u << 20;
// Up to this many references are aligned exactly at every offset; more go through an AudioIndex.
constexpr std::size_t kExactReferences = 8;

// tyto::Error → StageError with the same stable code; only a deadline is worth another attempt.
template <typename F>
json as_stage(pipeline::StageContext& ctx, F&& work) {
  try {
    return work();
  } catch (const Error& e) {
    if (ctx.cancelled()) throw pipeline::Cancelled();
    throw pipeline::StageError(std::string(error_code_name(e.code())), e.what(), e.code() == ErrorCode::kTimeout);
  }
}

json fingerprint_stage(pipeline::StageContext& ctx, const json& input) {
  return as_stage(ctx, [&] {
    const std::string object_id = input.at("object_id");
    FingerprintOptions options;
    options.max_seconds = input.value("max_seconds", 120.0);
    options.should_stop = [&ctx] { return ctx.cancelled(); };
    ctx.progress(0.0, "reading the audio");
    const std::string bytes = ctx.artifacts().get(object_id, kMaxAudioBytes);
    ctx.progress(0.2, "fingerprinting");
    const auto fp = fingerprint_bytes(bytes, options, object_id);
    ctx.progress(1.0, fmt::format("{} sub-fingerprints", fp.raw.size()));
    return json{{"duration", fp.duration_s},
                {"fingerprinted_s", fp.fingerprinted_s},
                {"items", fp.raw.size()},
                {"fingerprint", compress_fingerprint(fp.raw)}};
  });
}

json match_stage(pipeline::StageContext& ctx, const json& input) {
  return as_stage(ctx, [&] {
    MatchParams params;
    params.min_score = input.value("min_score", params.min_score);
    const auto query = decompress_fingerprint(input.at("query").get<std::string>());
    const auto& references = input.at("references");
    std::optional<IndexMatch> best;
    if (references.size() <= kExactReferences) {
      for (const auto& r : references) {
        ctx.check_cancelled();
        auto a = align(query, decompress_fingerprint(r.at("fingerprint").get<std::string>()), params);
        if (a && a->score >= params.min_score && (!best || a->score > best->alignment.score))
          best = IndexMatch{r.at("id").get<std::string>(), *a};
      }
    } else {
      AudioIndex index(params);
      for (const auto& r : references) {
        ctx.check_cancelled();
        index.add({r.at("id").get<std::string>(), 0, decompress_fingerprint(r.at("fingerprint").get<std::string>())});
      }
      best = index.lookup(query);
    }
    ctx.progress(1.0);
    if (!best) return json{{"match", nullptr}};
    return json{{"match",
                 {{"id", best->track},
                  {"offset_s", best->alignment.offset_s},
                  {"score", best->alignment.score},
                  {"ber", best->alignment.ber}}}};
  });
}

}  // namespace

void register_audio_stages(pipeline::StageRegistry& registry) {
  const json fingerprint_string = {{"type", "string"}, {"minLength", 1}, {"maxLength", 1 << 20}};
  registry.add({"audio.fingerprint",
                "Chromaprint fingerprint of an audio object (any format FFmpeg decodes), as fpcalc computes it",
                {{"type", "object"},
                 {"required", {"object_id"}},
                 {"properties",
                  {{"object_id", {{"type", "string"}, {"minLength", 1}, {"maxLength", 200}}},
                   {"max_seconds", {{"type", "number"}, {"minimum", 0}, {"maximum", 21600}, {"default", 120}}}}}},
                {{"type", "object"},
                 {"properties",
                  {{"duration", {{"type", "number"}}},
                   {"fingerprinted_s", {{"type", "number"}}},
                   {"items", {{"type", "integer"}}},
                   {"fingerprint", {{"type", "string"}}}}}},
                fingerprint_stage});
  registry.add({"audio.match",
                "Aligns a query fingerprint with reference fingerprints: the best reference, offset and score",
                {{"type", "object"},
                 {"required", {"query", "references"}},
                 {"properties",
                  {{"query", fingerprint_string},
                   {"references",
                    {{"type", "array"},
                     {"minItems", 1},
                     {"maxItems", 10000},
                     {"items",
                      {{"type", "object"},
                       {"required", {"id", "fingerprint"}},
                       {"properties",
                        {{"id", {{"type", "string"}, {"maxLength", 500}}}, {"fingerprint", fingerprint_string}}}}}}},
                   {"min_score", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}, {"default", 0.5}}}}}},
                {{"type", "object"},
                 {"properties",
                  {{"match",
                    {{"type", {"object", "null"}},
                     {"properties",
                      {{"id", {{"type", "string"}}},
                       {"offset_s", {{"type", "number"}}},
                       {"score", {{"type", "number"}}},
                       {"ber", {{"type", "number"}}}}}}}}}},
                match_stage});
}

}  // namespace tyto::fingerprint
