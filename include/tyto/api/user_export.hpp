// Personal data export: GET /api/v1/me/export starts a job of the built-in pipeline
// "platform.user_export", whose stage writes a ZIP of everything Tyto keeps about the user (account,
// memberships, API keys without their hashes, the jobs they submitted, their audit entries, and the
// bytes of every object they own) and stores it as an object of purpose "export" owned by the user,
// kept 7 days. The job's result names the object; GET /api/v1/objects/{id}/content downloads it.
#pragma once

#include "tyto/auth/audit.hpp"
#include "tyto/http/router.hpp"
#include "tyto/jobs/job_store.hpp"
#include "tyto/jobs/submitter.hpp"
#include "tyto/objects/catalog.hpp"
#include "tyto/pipeline/stage.hpp"

namespace tyto::api {

struct UserExportDeps {
  storage::Database& db;
  objects::Catalog& catalog;
  auth::AuditLog& audit;
};

// Registers the stage "platform.user_export" (input {user_id, tenant_id}; output {object_id, size}).
void register_user_export_stage(pipeline::StageRegistry& registry, UserExportDeps deps);

// GET /api/v1/me/export: 202 with the export job (an unfinished one is returned again, not doubled).
void add_user_export_routes(http::Router& router, jobs::JobSubmitter& submitter, auth::AuditLog& audit);

}  // namespace tyto::api
