// Optimal assignment (the Hungarian method), as the tracker uses it to pair detections with tracks.
//
// solve_assignment() takes a rows x cols cost matrix (row-major) and returns, for each row, the column it is
// assigned to, or -1. Every row is assigned when rows <= cols, every column when rows >= cols, and the sum
// of the chosen costs is the least possible. To forbid a pair, give it a cost far above any sum of allowed
// costs (kForbidden) and drop the pairs that come back with it: the solution then has as many allowed pairs
// as possible and, among those, the least cost. Ties are broken deterministically (the same matrix gives the
// same answer). O(n^2 m) for n = min(rows, cols), m = max(rows, cols).
//
// Errors: a matrix whose size is not rows * cols, or with a cost that is NaN or infinite, throws
// tyto::Error(validation_failed). Thread-safe: no shared state.
#pragma once

#include <vector>

namespace tyto::vision {

inline constexpr double kForbidden = 1e9;

std::vector<int> solve_assignment(const std::vector<double>& cost, int rows, int cols);

}  // namespace tyto::vision
