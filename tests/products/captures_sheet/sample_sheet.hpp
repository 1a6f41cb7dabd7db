// Sheets to render in the measurement sheet's tests and benchmark: realistic measurements, an edit history, and a
// person's front and side masks drawn from a few shapes.
#pragma once

#include "products/captures/sheet/sheet.hpp"

namespace tyto::captures::test {

// A person standing, as a mask of width × height: head, neck, torso, arms (front view only) and legs, with feet at
// foot_y and the crown of the head at head_y.
SheetSilhouette person_silhouette(bool front, double px_per_mm, int width, int height, int head_y, int foot_y);

// A sheet with `measurements` measurements (the first edited) and `edits` history entries, with front and side
// silhouettes when asked.
Sheet sample_sheet(int measurements, int edits, bool silhouettes);

}  // namespace tyto::captures::test
