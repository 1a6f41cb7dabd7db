#include "api/detail/stream_routes.hpp"

#include "tyto/core/error.hpp"

namespace tyto::api::detail {

void add_stream_routes(http::Router& router, const JobsDeps& deps) {
  deps.streams.add(
      router,
      {"/api/v1/jobs/{id}/events", "/ws/jobs/{id}",
       [&store = deps.store](const http::Request& req) {
         auto job = store.get(req.who().tenant_id, req.param("id"));
         if (!job) {
           throw Error(ErrorCode::kNotFound, "no such job", {{"id", std::string(req.param("id").substr(0, 64))}});
         }
         return StreamSource{job->tenant_id, jobs::job_topic(job->id), job->to_json()};
       },
       "a job", "jobs"});
  deps.streams.add_topic_route(router);
}

}  // namespace tyto::api::detail
