// The retention sweep as a pipeline stage, so that a schedule (cron) runs it like any job.
#pragma once

#include "tyto/objects/catalog.hpp"
#include "tyto/pipeline/stage.hpp"

namespace tyto::objects {

// Registers the stage "platform.retention_sweep": no input; calls catalog.sweep_expired(now) and returns
// {"objects": n, "uploads": m}, the counts deleted. The built-in pipeline platform.retention_sweep
// (config/pipelines/platform.retention_sweep.json) runs it. catalog must outlive the registry's users.
void register_retention_stage(pipeline::StageRegistry& registry, Catalog& catalog);

}  // namespace tyto::objects
