#include "tyto/vision/track.hpp"

#include "tyto/core/error.hpp"
#include "tyto/vision/assignment.hpp"

#include <algorithm>
#include <cmath>

namespace tyto::vision {
namespace {

// One coordinate and its rate of change per second, with their covariance.
struct Filter1d {
  double x = 0;
  double v = 0;
  double p00 = 0;
  double p01 = 0;
  double p11 = 0;

  void init(double z, double measurement_var, double velocity_var) {
    x = z;
    v = 0;
    p00 = measurement_var;
    p01 = 0;
    p11 = velocity_var;
  }
  // Constant velocity over dt, white-noise acceleration of spectral density q.
  void predict(double dt, double q) {
    x += v * dt;
    p00 += 2 * dt * p01 + dt * dt * p11 + q * dt * dt * dt / 3;
    p01 += dt * p11 + q * dt * dt / 2;
    p11 += q * dt;
  }
  void correct(double z, double r) {
    const double s = p00 + r;
    const double k0 = p00 / s;
    const double k1 = p01 / s;
    const double y = z - x;
    x += k0 * y;
    v += k1 * y;
    p11 -= k1 * p01;
    p00 *= 1 - k0;
    p01 *= 1 - k0;
  }
};

struct Rect {
  double cx, cy, w, h;
};

Rect to_rect(const Box& b) {
  return {b.x + b.width / 2.0, b.y + b.height / 2.0, static_cast<double>(b.width), static_cast<double>(b.height)};
}

double rect_iou(const Rect& a, const Rect& b) {
  const double iw = std::min(a.cx + a.w / 2, b.cx + b.w / 2) - std::max(a.cx - a.w / 2, b.cx - b.w / 2);
  const double ih = std::min(a.cy + a.h / 2, b.cy + b.h / 2) - std::max(a.cy - a.h / 2, b.cy - b.h / 2);
  if (iw <= 0 || ih <= 0) return 0;
  const double inter = iw * ih;
  return inter / (a.w * a.h + b.w * b.h - inter);
}

struct State {
  std::int64_t id = 0;  // 0 while tentative
  std::string label;
  int class_id = -1;
  float score = 0;
  Filter1d cx, cy, w, h;
  double first_seen_s = 0;
  double last_seen_s = 0;
  int hits = 0;
  int missed = 0;

  Rect rect() const { return {cx.x, cy.x, std::max(1.0, w.x), std::max(1.0, h.x)}; }
};

void check_options(const TrackerOptions& o) {
  nlohmann::json fields = nlohmann::json::object();
  if (!(o.iou_threshold > 0 && o.iou_threshold <= 1)) fields["iou_threshold"] = "must be in (0, 1]";
  if (o.min_hits < 1) fields["min_hits"] = "must be at least 1";
  if (!(o.max_age_s >= 0) || !std::isfinite(o.max_age_s)) fields["max_age_s"] = "must be a finite number >= 0";
  if (o.max_missed < 0) fields["max_missed"] = "must be >= 0";
  if (!std::isfinite(o.min_score)) fields["min_score"] = "must be finite";
  if (o.max_tracks < 1) fields["max_tracks"] = "must be at least 1";
  if (!(o.measurement_noise > 0) || !std::isfinite(o.measurement_noise)) fields["measurement_noise"] = "must be > 0";
  if (!(o.acceleration_noise > 0) || !std::isfinite(o.acceleration_noise)) fields["acceleration_noise"] = "must be > 0";
  if (!(o.initial_velocity_noise > 0) || !std::isfinite(o.initial_velocity_noise))
    fields["initial_velocity_noise"] = "must be > 0";
  if (!fields.empty()) throw validation_error("invalid tracker options", fields);
}

}  // namespace

struct Tracker::Impl {
  TrackerOptions options;
  std::vector<State> states;
  std::int64_t last_id = 0;
  bool started = false;
  double last_t = 0;

  double var(double fraction, double side) const {
    const double s = fraction * std::max(1.0, side);
    return s * s;
  }

  void init(State& s, const Detection& d, double t) {
    const Rect r = to_rect(d.box);
    const auto& o = options;
    s.cx.init(r.cx, var(o.measurement_noise, r.w), var(o.initial_velocity_noise, r.w));
    s.cy.init(r.cy, var(o.measurement_noise, r.h), var(o.initial_velocity_noise, r.h));
    s.w.init(r.w, var(o.measurement_noise, r.w), var(o.initial_velocity_noise, r.w));
    s.h.init(r.h, var(o.measurement_noise, r.h), var(o.initial_velocity_noise, r.h));
    s.label = d.label;
    s.class_id = d.class_id;
    s.score = d.score;
    s.first_seen_s = s.last_seen_s = t;
    s.hits = 1;
  }

  void predict(State& s, double dt) const {
    const Rect r = s.rect();
    const double a = options.acceleration_noise;
    s.cx.predict(dt, var(a, r.w));
    s.cy.predict(dt, var(a, r.h));
    s.w.predict(dt, var(a, r.w));
    s.h.predict(dt, var(a, r.h));
  }

  void correct(State& s, const Detection& d, double t) const {
    const Rect r = to_rect(d.box);
    const double m = options.measurement_noise;
    s.cx.correct(r.cx, var(m, r.w));
    s.cy.correct(r.cy, var(m, r.h));
    s.w.correct(r.w, var(m, r.w));
    s.h.correct(r.h, var(m, r.h));
    s.label = d.label;
    s.class_id = d.class_id;
    s.score = d.score;
    s.last_seen_s = t;
    ++s.hits;
    s.missed = 0;
  }

  // Indices of the detections the tracker takes.
  std::vector<std::size_t> usable(const std::vector<Detection>& detections) const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < detections.size(); ++i) {
      const auto& d = detections[i];
      if (d.box.width > 0 && d.box.height > 0 && std::isfinite(d.score) && d.score >= options.min_score)
        out.push_back(i);
    }
    return out;
  }

  // Track index -> index into `taken`, or -1.
  std::vector<int> associate(const std::vector<Detection>& detections, const std::vector<std::size_t>& taken) const {
    const int rows = static_cast<int>(states.size());
    const int cols = static_cast<int>(taken.size());
    std::vector<double> cost(static_cast<std::size_t>(rows) * cols, kForbidden);
    for (int i = 0; i < rows; ++i) {
      const Rect predicted = states[i].rect();
      for (int j = 0; j < cols; ++j) {
        const auto& d = detections[taken[j]];
        if (options.class_aware && d.label != states[i].label) continue;
        const double overlap = rect_iou(predicted, to_rect(d.box));
        if (overlap >= options.iou_threshold) cost[static_cast<std::size_t>(i) * cols + j] = 1 - overlap;
      }
    }
    auto match = solve_assignment(cost, rows, cols);
    for (int i = 0; i < rows; ++i)
      if (match[i] >= 0 && cost[static_cast<std::size_t>(i) * cols + match[i]] >= kForbidden) match[i] = -1;
    return match;
  }

  Track report(const State& s, double t) const {
    const Rect r = s.rect();
    Track out;
    out.track_id = s.id;
    out.label = s.label;
    out.class_id = s.class_id;
    // A long coast can carry a prediction anywhere; pixels stay within what an int holds.
    const auto px = [](double v) { return static_cast<int>(std::lround(std::clamp(v, -1e9, 1e9))); };
    out.box = {px(r.cx - r.w / 2), px(r.cy - r.h / 2), px(r.w), px(r.h)};
    out.score = s.score;
    out.vx = s.cx.v;
    out.vy = s.cy.v;
    out.first_seen_s = s.first_seen_s;
    out.last_seen_s = s.last_seen_s;
    out.age_s = t - s.first_seen_s;
    out.hits = s.hits;
    out.missed = s.missed;
    return out;
  }

  bool expired(const State& s, double t) const {
    if (s.missed == 0) return false;
    if (s.id == 0) return true;  // tentative: one miss drops it
    if (t - s.last_seen_s > options.max_age_s) return true;
    return options.max_missed > 0 && s.missed > options.max_missed;
  }

  // Confirms tracks that reached min_hits and reports the confirmed ones. alive_from[k] is the index of
  // alive[k] in the previous states, or old_count + j for one born of detection taken[j].
  void publish(std::vector<State>& alive, const std::vector<std::size_t>& alive_from,
               const std::vector<std::size_t>& taken, const std::vector<int>& match, std::size_t old_count, double t,
               TrackUpdate& out) {
    for (std::size_t k = 0; k < alive.size(); ++k) {
      auto& s = alive[k];
      if (s.id == 0 && s.hits >= options.min_hits) {
        s.id = ++last_id;
        out.started.push_back(s.id);
      }
      if (s.id == 0) continue;
      out.tracks.push_back(report(s, t));
      if (s.missed != 0) continue;
      const std::size_t from = alive_from[k];
      out.detection_track_ids[from < old_count ? taken[match[from]] : taken[from - old_count]] = s.id;
    }
    std::sort(out.tracks.begin(), out.tracks.end(),
              [](const Track& a, const Track& b) { return a.track_id < b.track_id; });
  }

  TrackUpdate update(const std::vector<Detection>& detections, double t) {
    if (!std::isfinite(t)) throw validation_error("the frame time is not finite", {{"t_s", "must be finite"}});
    if (started && t < last_t)
      throw validation_error("the frame time went backwards", {{"t_s", "must not be earlier than the previous"}});
    const double dt = started ? t - last_t : 0;
    started = true;
    last_t = t;

    for (auto& s : states) predict(s, dt);
    const auto taken = usable(detections);
    const auto match = associate(detections, taken);

    TrackUpdate out;
    out.t_s = t;
    out.detection_track_ids.assign(detections.size(), 0);
    std::vector<char> paired(taken.size(), 0);
    for (std::size_t i = 0; i < states.size(); ++i) {
      if (match[i] < 0) {
        ++states[i].missed;
        continue;
      }
      paired[match[i]] = 1;
      correct(states[i], detections[taken[match[i]]], t);
    }
    // Ends and drops, keeping the survivors in their order (ids ascending, then tentative by birth).
    std::vector<State> alive;
    alive.reserve(states.size() + taken.size());
    std::vector<std::size_t> alive_from;  // index in `states` of each survivor, for detection_track_ids
    for (std::size_t i = 0; i < states.size(); ++i) {
      if (expired(states[i], t)) {
        if (states[i].id != 0) out.ended.push_back(report(states[i], t));
        continue;
      }
      alive.push_back(std::move(states[i]));
      alive_from.push_back(i);
    }
    for (std::size_t j = 0; j < taken.size(); ++j) {
      if (paired[j] || alive.size() >= static_cast<std::size_t>(options.max_tracks)) continue;
      State s;
      init(s, detections[taken[j]], t);
      alive.push_back(std::move(s));
      alive_from.push_back(states.size() + j);
    }
    publish(alive, alive_from, taken, match, states.size(), t, out);
    // Confirmed tracks first, by id, so the order of the next update's assignment is stable.
    std::stable_sort(alive.begin(), alive.end(), [](const State& a, const State& b) {
      if ((a.id == 0) != (b.id == 0)) return a.id != 0;
      return a.id < b.id;
    });
    states = std::move(alive);
    return out;
  }
};

nlohmann::json to_json(const Track& t) {
  nlohmann::json out = {{"track_id", t.track_id},
                        {"label", t.label},
                        {"score", t.score},
                        {"box", {{"x", t.box.x}, {"y", t.box.y}, {"width", t.box.width}, {"height", t.box.height}}},
                        {"velocity", {{"x", t.vx}, {"y", t.vy}}},
                        {"first_seen_s", t.first_seen_s},
                        {"last_seen_s", t.last_seen_s},
                        {"age_s", t.age_s},
                        {"hits", t.hits},
                        {"missed", t.missed}};
  if (t.class_id != -1) out["class_id"] = t.class_id;
  return out;
}

Tracker::Tracker(TrackerOptions options) : impl_(std::make_unique<Impl>()) {
  check_options(options);
  impl_->options = options;
}
Tracker::~Tracker() = default;
Tracker::Tracker(Tracker&&) noexcept = default;
Tracker& Tracker::operator=(Tracker&&) noexcept = default;

TrackUpdate Tracker::update(const std::vector<Detection>& detections, double t_s) {
  return impl_->update(detections, t_s);
}

void Tracker::reset() {
  impl_->states.clear();
  impl_->started = false;
}

const TrackerOptions& Tracker::options() const noexcept { return impl_->options; }
std::size_t Tracker::live_tracks() const noexcept { return impl_->states.size(); }

}  // namespace tyto::vision
