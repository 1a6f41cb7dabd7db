// WebSocket and SSE routes for job and topic events. Private to tyto_api.
#pragma once

#include "tyto/api/jobs_routes.hpp"

namespace tyto::api::detail {

// GET /api/v1/jobs/{id}/events (SSE), WS /ws/jobs/{id}, WS /ws/events?topic=.
void add_stream_routes(http::Router& router, const JobsDeps& deps);

}  // namespace tyto::api::detail
