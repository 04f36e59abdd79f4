#pragma once

/// Comparison-subset rule in which each edge is a subset, as in the
/// NAS-Bench-201 space: the candidates of one edge compete and `survivors`
/// of them (one by default) remain.

#include <fmt/format.h>

#include "isdarts/error.hpp"
#include "isdarts/subsets/comparison_subset.hpp"

namespace isdarts {

class PerEdgeSubsets {
 public:
  static constexpr const char* name = "per-edge";

  /// `survivors`: candidates kept on each edge at the end of the search.
  explicit PerEdgeSubsets(int64_t survivors = 1) : survivors_(survivors) {
    if (survivors < 1) {
      throw InvalidArgument(fmt::format(
          "per-edge survivors is {}; use 1 or more", survivors));
    }
  }

  int64_t survivors() const { return survivors_; }

  std::vector<ComparisonSubset> subsets(const std::vector<EdgeInfo>& edges,
                                        int64_t num_candidates) const {
    std::vector<ComparisonSubset> result;
    for (int64_t e = 0; e < static_cast<int64_t>(edges.size()); ++e) {
      const auto& edge = edges[static_cast<std::size_t>(e)];
      ComparisonSubset subset;
      subset.label = edge.cell_kind == 0
                         ? fmt::format("edge {}<-{}", edge.to, edge.from)
                         : fmt::format("reduce edge {}<-{}", edge.to,
                                       edge.from);
      for (int64_t c = 0; c < num_candidates; ++c) {
        subset.members.emplace_back(e, c);
      }
      subset.survivors = survivors_;
      result.push_back(std::move(subset));
    }
    return result;
  }

 private:
  int64_t survivors_;
};

}  // namespace isdarts
