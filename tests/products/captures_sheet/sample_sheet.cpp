#include "products/captures_sheet/sample_sheet.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tyto::captures::test {

SheetSilhouette person_silhouette(bool front, double px_per_mm, int width, int height, int head_y, int foot_y) {
  SheetSilhouette s;
  s.width = width;
  s.height = height;
  s.px_per_mm = px_per_mm;
  s.mask.assign(static_cast<std::size_t>(width) * height, 0);
  const double h = foot_y - head_y, cx = width / 2.0;
  for (int y = head_y; y < foot_y; ++y) {
    const double t = (y + 0.5 - head_y) / h;
    for (int x = 0; x < width; ++x) {
      const double dx = std::abs(x + 0.5 - cx);
      bool in = false;
      if (t < 0.13) {
        const double u = (t - 0.065) / 0.065;
        in = dx < 0.055 * h * std::sqrt(std::max(0.0, 1 - u * u));
      } else if (t < 0.16) {
        in = dx < 0.025 * h;
      } else if (t < 0.52) {
        in = dx < (front ? 0.13 : 0.08) * h || (front && t > 0.17 && t < 0.5 && dx > 0.14 * h && dx < 0.18 * h);
      } else {
        in = front ? (dx > 0.015 * h && dx < 0.09 * h) : dx < 0.06 * h;
      }
      if (in) s.mask[static_cast<std::size_t>(y) * width + x] = 255;
    }
  }
  const double chest_y = head_y + 0.25 * h, half = (front ? 0.13 : 0.08) * h;
  s.lines = {{cx - half, chest_y, cx + half, chest_y, "Chest"},
             {cx - half, head_y + 0.45 * h, cx + half, head_y + 0.45 * h, "Waist"},
             {cx + half + 8, static_cast<double>(head_y), cx + half + 8, static_cast<double>(foot_y), "Height"}};
  return s;
}

Sheet sample_sheet(int measurements, int edits, bool silhouettes) {
  struct Base {
    const char* name;
    const char* label;
    const char* definition;
  };
  static const Base kBase[] = {
      {"chest_circumference", "Chest circumference",
       "Horizontal girth at the fullest part of the chest, under the arms, arms relaxed at the sides."},
      {"waist_circumference", "Waist circumference", "Horizontal girth at the natural waist, above the navel."},
      {"hip_circumference", "Hip circumference", "Horizontal girth at the fullest part of the seat."},
      {"inseam", "Inside leg", "From the crotch to the floor along the inside of the leg, without shoes."},
      {"sleeve_length", "Sleeve length", "From the shoulder point over the bent elbow to the wrist bone."},
  };
  Sheet sheet;
  sheet.capture_id = "cap_01HZX4Q9";
  sheet.customer = "Ada Lovelace";
  sheet.created_at = "2026-11-30T09:12:44Z";
  sheet.approved_by = "lead@atelier.example";
  sheet.approved_at = "2026-12-01T16:05:00+01:00";
  sheet.tenant_name = "Atelier Nord";
  sheet.overall_confidence = 0.82;
  sheet.needs_review = true;
  sheet.skin_summary = "Monk 5, ITA 28°";
  for (int i = 0; i < measurements; ++i) {
    const auto& base = kBase[i % 5];
    SheetMeasurement m;
    m.name = i < 5 ? base.name : fmt::format("{}_{}", base.name, i);
    m.label = i < 5 ? base.label : fmt::format("{} {}", base.label, i);
    m.definition = base.definition;
    m.value_cm = 60 + i * 1.5;
    m.uncertainty_cm = 1 + (i % 4) * 0.5;
    m.confidence = 0.95 - (i % 7) * 0.1;
    sheet.measurements.push_back(m);
  }
  if (measurements > 0) {
    auto& first = sheet.measurements.front();
    first.value_cm = 75.0, first.uncertainty_cm = 4.0, first.confidence = 0.87;
    first.edited = true, first.original_cm = 73.5;
  }
  static const char* kStatus[] = {"pending", "approved", "rejected"};
  for (int i = 0; i < edits; ++i) {
    SheetEdit e;
    e.at = fmt::format("2026-11-30T10:{:02}:00Z", i % 60);
    e.by = fmt::format("tailor{}@atelier.example", i);
    e.measurement = measurements > 0 ? sheet.measurements[static_cast<std::size_t>(i % measurements)].name : "chest";
    e.note = fmt::format("Note {}: re-measured, customer said \"slim fit\"\nsecond line", i);
    e.from_cm = 73.5;
    e.to_cm = 75.0;
    e.status = kStatus[i % 3];
    if (e.status == "approved") e.approved_by = "lead@atelier.example";
    sheet.history.push_back(e);
  }
  if (silhouettes) {
    // 2 mm a pixel; a person 1,700 mm tall in both views.
    sheet.front = person_silhouette(true, 0.5, 400, 900, 40, 890);
    sheet.side = person_silhouette(false, 0.5, 250, 900, 40, 890);
  }
  return sheet;
}

}  // namespace tyto::captures::test
