// The stage live.session: one session of an RTSP, HTTP or uploaded-file source, run as a durable job.
//
// It holds the job's lease for as long as the session runs (the runner's watchdog renews it), decodes
// the source on this thread and feeds the session's engine. The watchdog of the source: a read that
// waits past read_timeout (a dead camera, a server that keeps the connection open but sends nothing),
// timestamps that stop advancing, or the same picture for frozen_frame_s while frames keep coming,
// count as a stall: the source is reopened with jittered exponential backoff (0.5 s doubling to 30 s),
// with `source` events (connected, stalled, reconnecting, recovered) saying why. An uploaded file is
// not reopened: a failure fails the session, its end finishes it.
//
// Resuming: every stored batch records the last frame whose events it holds. When the instance dies,
// the job's lease expires and another instance runs the stage again: it skips the frames up to that
// checkpoint, so no stored event is repeated (tracks restart with new ids there). Shutting down
// releases the job the same way.
#pragma once

#include "runtime.hpp"
#include "tyto/pipeline/stage.hpp"

namespace tyto::products::live {

struct WatchdogOptions {
  std::chrono::milliseconds open_timeout{10'000};
  std::chrono::milliseconds read_timeout{5'000};
  double frozen_frame_s = 10;  // the same picture this long counts as a stall; 0: never
  double stuck_clock_s = 3;    // frames whose timestamp does not advance for this long count as a stall
  std::chrono::milliseconds backoff_first{500};
  std::chrono::milliseconds backoff_max{30'000};
  std::int64_t max_file_bytes = 2LL << 30;
  double max_file_seconds = 4 * 3600;  // an uploaded file's declared length, at most
};

class SessionStage {
 public:
  SessionStage(Runtime& runtime, WatchdogOptions options) : rt_(runtime), options_(options) {}

  void register_stages(pipeline::StageRegistry& stages);
  nlohmann::json run(pipeline::StageContext& ctx, const nlohmann::json& input);

 private:
  Runtime& rt_;
  WatchdogOptions options_;
};

}  // namespace tyto::products::live
