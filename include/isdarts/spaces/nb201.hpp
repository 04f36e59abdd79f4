#pragma once

/// The NAS-Bench-201 search space (Dong and Yang, "NAS-Bench-201: Extending
/// the Scope of Reproducible Neural Architecture Search", ICLR 2020): a cell
/// of four nodes and six edges, five candidate operations per edge, inside
/// the benchmark's macro network. Each edge is a comparison subset in which
/// one operation survives.

#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "isdarts/error.hpp"
#include "isdarts/mask.hpp"
#include "isdarts/spaces/nb201_genotype.hpp"
#include "isdarts/spaces/nb201_supernet.hpp"
#include "isdarts/spaces/space.hpp"
#include "isdarts/subsets/per_edge.hpp"

namespace isdarts {

class NB201Space {
 public:
  static constexpr const char* name = "nb201";
  using Options = Nb201NetworkOptions;
  using Genotype = Nb201Genotype;
  using Supernet = Nb201Supernet;
  using DefaultSubsets = PerEdgeSubsets;

  explicit NB201Space(Options options = {}) : options_(options) {
    if (options.channels() < 1 || options.cells() < 1 ||
        options.num_classes() < 2) {
      throw InvalidArgument(fmt::format(
          "invalid NAS-Bench-201 network: channels {}, cells {}, classes {}; "
          "use at least 1 channel, 1 cell and 2 classes",
          options.channels(), options.cells(), options.num_classes()));
    }
  }

  const Options& options() const { return options_; }

  const std::vector<std::string>& candidates() const {
    return nb201_operations();
  }

  /// Edges in the benchmark's order: 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2.
  const std::vector<EdgeInfo>& edges() const {
    static const std::vector<EdgeInfo> list = {
        {0, 1, 0}, {0, 2, 0}, {1, 2, 0}, {0, 3, 0}, {1, 3, 0}, {2, 3, 0}};
    return list;
  }

  Supernet make_supernet() const { return Supernet(options_); }

  /// The cell that a mask leaves. Every edge must keep exactly one candidate.
  Genotype derive(const Mask& mask) const {
    Genotype genotype;
    for (int64_t e = 0; e < 6; ++e) {
      auto kept = mask.kept_candidates(e);
      if (kept.size() != 1) {
        throw Error(fmt::format(
            "cannot derive a NAS-Bench-201 genotype: edge {}<-{} keeps {} "
            "operations instead of 1; the shrink schedule must end with one "
            "operation per edge",
            edges()[static_cast<std::size_t>(e)].to,
            edges()[static_cast<std::size_t>(e)].from, kept.size()));
      }
      genotype.operations[static_cast<std::size_t>(e)] =
          candidates()[static_cast<std::size_t>(kept.front())];
    }
    return genotype;
  }

  /// Mask that keeps exactly the genotype's operation on each edge.
  Mask mask_of(const Genotype& genotype) const {
    Mask mask(6, 5);
    for (int64_t e = 0; e < 6; ++e) {
      auto keep = nb201_operation_index(
          genotype.operations[static_cast<std::size_t>(e)]);
      if (keep < 0) {
        throw InvalidArgument(fmt::format(
            "unknown NAS-Bench-201 operation '{}'",
            genotype.operations[static_cast<std::size_t>(e)]));
      }
      for (int64_t c = 0; c < 5; ++c) {
        if (c != keep) mask.discard(e, c);
      }
    }
    return mask;
  }

  static Genotype parse_genotype(const std::string& text) {
    return parse_nb201_genotype(text);
  }

  static std::string format_genotype(const Genotype& genotype) {
    return format_nb201_genotype(genotype);
  }

  static nlohmann::json genotype_json(const Genotype& genotype) {
    return format_nb201_genotype(genotype);
  }

 private:
  Options options_;
};

static_assert(check_space<NB201Space>());

}  // namespace isdarts
