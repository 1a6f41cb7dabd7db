// The Hungarian method in its shortest-augmenting-path form with row and column potentials: each row is
// added in turn and joined to the matching along the cheapest alternating path (reduced costs), so the
// matching stays optimal after every row.
#include "tyto/vision/assignment.hpp"

#include "tyto/core/error.hpp"

#include <cmath>
#include <limits>

namespace tyto::vision {
namespace {

// rows <= cols. a(i, j) is the cost of row i and column j (0-based). Returns row -> column.
template <typename Cost>
std::vector<int> solve_wide(int rows, int cols, const Cost& a) {
  const double inf = std::numeric_limits<double>::infinity();
  // 1-based internally; column 0 is the virtual start of each augmenting path.
  std::vector<double> u(rows + 1, 0), v(cols + 1, 0);
  std::vector<int> owner(cols + 1, 0), way(cols + 1, 0);
  for (int i = 1; i <= rows; ++i) {
    owner[0] = i;
    int j0 = 0;
    std::vector<double> min_reduced(cols + 1, inf);
    std::vector<char> used(cols + 1, 0);
    do {
      used[j0] = 1;
      const int i0 = owner[j0];
      double delta = inf;
      int j1 = 0;
      for (int j = 1; j <= cols; ++j) {
        if (used[j]) continue;
        const double reduced = a(i0 - 1, j - 1) - u[i0] - v[j];
        if (reduced < min_reduced[j]) {
          min_reduced[j] = reduced;
          way[j] = j0;
        }
        if (min_reduced[j] < delta) {
          delta = min_reduced[j];
          j1 = j;
        }
      }
      for (int j = 0; j <= cols; ++j) {
        if (used[j]) {
          u[owner[j]] += delta;
          v[j] -= delta;
        } else {
          min_reduced[j] -= delta;
        }
      }
      j0 = j1;
    } while (owner[j0] != 0);
    // Flip the path: every column on it takes the row before it.
    do {
      const int j1 = way[j0];
      owner[j0] = owner[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> row_to_col(rows, -1);
  for (int j = 1; j <= cols; ++j)
    if (owner[j] != 0) row_to_col[owner[j] - 1] = j - 1;
  return row_to_col;
}

}  // namespace

std::vector<int> solve_assignment(const std::vector<double>& cost, int rows, int cols) {
  if (rows < 0 || cols < 0 || cost.size() != static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols))
    throw validation_error("the cost matrix is not rows x cols", {{"cost", "size must be rows * cols"}});
  for (double c : cost)
    if (!std::isfinite(c)) throw validation_error("the cost matrix has a non-finite cost", {{"cost", "not finite"}});
  if (rows == 0 || cols == 0) return std::vector<int>(rows, -1);
  if (rows <= cols)
    return solve_wide(rows, cols, [&](int i, int j) { return cost[static_cast<std::size_t>(i) * cols + j]; });
  // More rows than columns: solve the transpose, then invert the answer.
  const auto col_to_row =
      solve_wide(cols, rows, [&](int i, int j) { return cost[static_cast<std::size_t>(j) * cols + i]; });
  std::vector<int> row_to_col(rows, -1);
  for (int j = 0; j < cols; ++j)
    if (col_to_row[j] >= 0) row_to_col[col_to_row[j]] = j;
  return row_to_col;
}

}  // namespace tyto::vision
