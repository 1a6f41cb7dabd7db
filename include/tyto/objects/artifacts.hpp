// StageContext::artifacts() over the object catalog: what the runner hands a stage that reads or writes
// objects. Scoped to one tenant; new objects are owned by `owner_id` (the user who submitted the job, or
// nullopt when the platform did).
#pragma once

#include "tyto/objects/catalog.hpp"
#include "tyto/pipeline/stage.hpp"

#include <memory>
#include <optional>
#include <string>

namespace tyto::objects {

std::unique_ptr<pipeline::Artifacts> catalog_artifacts(Catalog& catalog, std::string tenant_id,
                                                       std::optional<std::string> owner_id);

}  // namespace tyto::objects
