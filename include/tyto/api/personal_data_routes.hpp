// Personal data export and erasure, over every PersonalData contributor of the build (the platform's
// own tables and every product's; see personal_data.hpp).
//
// GET /api/v1/me/export starts a job of the internal pipeline "platform.user_export", whose stage writes
// a ZIP: tyto-export.json with one section per contributor, and the bytes of every object a contributor
// names (objects/<id>-<name>). It is stored as an object of purpose "export" owned by the user, kept 7
// days; the job's result names it.
//
// DELETE /api/v1/me erases the user in one write transaction: each contributor, in reverse list order
// (products first, the account last), then the audit entry "user.delete"; bytes in the object store go
// after the commit.
#pragma once

#include "tyto/api/personal_data.hpp"
#include "tyto/auth/audit.hpp"
#include "tyto/http/router.hpp"
#include "tyto/jobs/submitter.hpp"
#include "tyto/objects/catalog.hpp"
#include "tyto/pipeline/stage.hpp"

#include <functional>
#include <memory>
#include <vector>

namespace tyto::api {

// The platform's contributors, in list order: account, memberships, api_keys, audit, jobs, objects.
std::vector<std::unique_ptr<PersonalData>> platform_personal_data(storage::Database& db, objects::Catalog& catalog);

struct PersonalDataDeps {
  storage::Database& db;
  objects::Catalog& catalog;
  auth::AuditLog& audit;
  // Every contributor of the build, in list order; filled before the first request or job.
  const std::vector<PersonalData*>& contributors;
};

// Registers the stage "platform.user_export" (input {user_id, tenant_id}; output {object_id, size}).
void register_user_export_stage(pipeline::StageRegistry& registry, PersonalDataDeps deps);

// GET /api/v1/me/export (202 with the export job; an unfinished one is returned again, not doubled) and
// DELETE /api/v1/me. forget_caches drops cached principals after a deletion.
void add_personal_data_routes(http::Router& router, PersonalDataDeps deps, jobs::JobSubmitter& submitter,
                              std::function<void()> forget_caches);

}  // namespace tyto::api
