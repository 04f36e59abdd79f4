#pragma once

/// Comparison-subset rule in which all candidates on the edges entering one
/// node form a subset, as in the DARTS space: `survivors` of them (two by
/// default) remain, which gives each node its two inputs.

#include <map>

#include <fmt/format.h>

#include "isdarts/error.hpp"
#include "isdarts/subsets/comparison_subset.hpp"

namespace isdarts {

class PerNodeSubsets {
 public:
  static constexpr const char* name = "per-node";

  /// `survivors`: candidates kept among a node's incoming edges at the end of
  /// the search.
  explicit PerNodeSubsets(int64_t survivors = 2) : survivors_(survivors) {
    if (survivors < 1) {
      throw InvalidArgument(fmt::format(
          "per-node survivors is {}; use 1 or more", survivors));
    }
  }

  int64_t survivors() const { return survivors_; }

  std::vector<ComparisonSubset> subsets(const std::vector<EdgeInfo>& edges,
                                        int64_t num_candidates) const {
    std::map<std::pair<int64_t, int64_t>, ComparisonSubset> by_node;
    for (int64_t e = 0; e < static_cast<int64_t>(edges.size()); ++e) {
      const auto& edge = edges[static_cast<std::size_t>(e)];
      auto& subset = by_node[{edge.cell_kind, edge.to}];
      if (subset.label.empty()) {
        subset.label = edge.cell_kind == 0
                           ? fmt::format("node {}", edge.to)
                           : fmt::format("reduce node {}", edge.to);
        subset.survivors = survivors_;
      }
      for (int64_t c = 0; c < num_candidates; ++c) {
        subset.members.emplace_back(e, c);
      }
    }
    std::vector<ComparisonSubset> result;
    for (auto& entry : by_node) result.push_back(std::move(entry.second));
    return result;
  }

 private:
  int64_t survivors_;
};

}  // namespace isdarts
