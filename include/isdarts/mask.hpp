#pragma once

/// The binary mask over a supernet's candidate operations.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "isdarts/error.hpp"

namespace isdarts {

/// One edge of a cell: the node it reads from and the node it feeds. Spaces
/// with two kinds of cell (normal and reduction) number them with `cell_kind`
/// because each kind has its own edges in the mask.
struct EdgeInfo {
  int64_t from = 0;
  int64_t to = 0;
  int64_t cell_kind = 0;
};

/// Binary mask over candidate operations, one row per edge and one column per
/// candidate. All cells that share an edge share its row. A discarded
/// candidate leaves the computation of every such cell.
class Mask {
 public:
  Mask() = default;

  /// Mask of `edges` rows and `candidates` columns with every candidate kept.
  Mask(int64_t edges, int64_t candidates)
      : edges_(edges),
        candidates_(candidates),
        kept_(static_cast<std::size_t>(edges * candidates), 1) {}

  int64_t num_edges() const { return edges_; }
  int64_t num_candidates() const { return candidates_; }

  bool kept(int64_t edge, int64_t candidate) const {
    return kept_[index(edge, candidate)] != 0;
  }

  /// Removes a candidate from its edge; discarding twice is an error.
  void discard(int64_t edge, int64_t candidate) {
    auto& cell = kept_[index(edge, candidate)];
    if (cell == 0) {
      throw InvalidArgument(fmt::format(
          "candidate {} of edge {} is already discarded", candidate, edge));
    }
    cell = 0;
  }

  /// Number of kept candidates on an edge.
  int64_t num_kept(int64_t edge) const {
    int64_t count = 0;
    for (int64_t c = 0; c < candidates_; ++c) count += kept(edge, c) ? 1 : 0;
    return count;
  }

  /// Kept candidates of an edge in column order.
  std::vector<int64_t> kept_candidates(int64_t edge) const {
    std::vector<int64_t> result;
    for (int64_t c = 0; c < candidates_; ++c) {
      if (kept(edge, c)) result.push_back(c);
    }
    return result;
  }

  /// Number of kept candidates over all edges.
  int64_t total_kept() const {
    int64_t count = 0;
    for (auto value : kept_) count += value;
    return count;
  }

  bool operator==(const Mask& other) const {
    return edges_ == other.edges_ && candidates_ == other.candidates_ &&
           kept_ == other.kept_;
  }

 private:
  std::size_t index(int64_t edge, int64_t candidate) const {
    if (edge < 0 || edge >= edges_ || candidate < 0 ||
        candidate >= candidates_) {
      throw InvalidArgument(fmt::format(
          "mask index (edge {}, candidate {}) is outside the {}x{} mask", edge,
          candidate, edges_, candidates_));
    }
    return static_cast<std::size_t>(edge * candidates_ + candidate);
  }

  int64_t edges_ = 0;
  int64_t candidates_ = 0;
  std::vector<uint8_t> kept_;
};

}  // namespace isdarts
