#include "tyto/objects/retention_stage.hpp"

#include "tyto/core/time.hpp"

namespace tyto::objects {

void register_retention_stage(pipeline::StageRegistry& registry, Catalog& catalog) {
  registry.add(
      {"platform.retention_sweep",
       "Deletes objects whose retention ended and uploads that expired, with their bytes",
       {{"type", "object"}},
       {{"type", "object"}, {"properties", {{"objects", {{"type", "integer"}}}, {"uploads", {{"type", "integer"}}}}}},
       [&catalog](pipeline::StageContext& ctx, const nlohmann::json&) -> nlohmann::json {
         const auto result = catalog.sweep_expired(now_micros());
         ctx.log(log::Level::kInfo, "retention sweep", {{"objects", result.objects}, {"uploads", result.uploads}});
         return {{"objects", result.objects}, {"uploads", result.uploads}};
       }});
}

}  // namespace tyto::objects
