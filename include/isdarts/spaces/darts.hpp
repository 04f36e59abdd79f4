#pragma once

/// The DARTS search space (Liu, Simonyan and Yang, "DARTS: Differentiable
/// Architecture Search", ICLR 2019): a normal and a reduction cell of two
/// input nodes, four intermediate nodes and 14 edges, eight candidate
/// operations per edge. The candidates on the edges entering one
/// intermediate node form a comparison subset in which two survive, which
/// gives each node its two inputs. IS-DARTS on this space trains 50 epochs
/// with shrink rate 1/7 every 3 epochs and measures importance on 600 images.

#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "isdarts/error.hpp"
#include "isdarts/mask.hpp"
#include "isdarts/spaces/darts_genotype.hpp"
#include "isdarts/spaces/darts_supernet.hpp"
#include "isdarts/spaces/space.hpp"
#include "isdarts/subsets/per_node.hpp"

namespace isdarts {

class DartsSpace {
 public:
  static constexpr const char* name = "darts";
  using Options = DartsSupernetOptions;
  using Genotype = DartsGenotype;
  using Supernet = DartsSupernet;
  using DefaultSubsets = PerNodeSubsets;

  explicit DartsSpace(Options options = {}) : options_(options) {
    nn::check_darts_network_size(options.channels(), options.cells(),
                                 options.num_classes());
  }

  const Options& options() const { return options_; }

  const std::vector<std::string>& candidates() const {
    return darts_operations();
  }

  /// Edges of the normal cell (`cell_kind` 0), then of the reduction cell
  /// (`cell_kind` 1), each in the DARTS order 2<-0, 2<-1, 3<-0, 3<-1, 3<-2,
  /// 4<-0, ..., 5<-4.
  const std::vector<EdgeInfo>& edges() const {
    static const std::vector<EdgeInfo> list = [] {
      std::vector<EdgeInfo> result;
      for (int64_t kind = 0; kind < 2; ++kind) {
        for (int64_t node = 2; node < 2 + kDartsSteps; ++node) {
          for (int64_t input = 0; input < node; ++input) {
            result.push_back(EdgeInfo{input, node, kind});
          }
        }
      }
      return result;
    }();
    return list;
  }

  Supernet make_supernet() const { return Supernet(options_); }

  /// Returns the cells that a mask leaves. Every intermediate node must keep exactly
  /// two candidates among its incoming edges; they are listed by input node,
  /// then by column.
  Genotype derive(const Mask& mask) const {
    check_mask(mask);
    Genotype genotype;
    for (int64_t kind = 0; kind < 2; ++kind) {
      auto& cell = kind == 0 ? genotype.normal : genotype.reduce;
      int64_t row = kind * kDartsCellEdges;
      for (int64_t node = 2; node < 2 + kDartsSteps; ++node) {
        DartsGenotype::Cell pairs;
        for (int64_t input = 0; input < node; ++input, ++row) {
          for (auto column : mask.kept_candidates(row)) {
            pairs.emplace_back(
                darts_operations()[static_cast<std::size_t>(column)], input);
          }
        }
        if (pairs.size() != 2) {
          throw Error(fmt::format(
              "cannot derive a DARTS genotype: {}node {} keeps {} operations "
              "instead of 2; the shrink schedule must end with two operations "
              "per node",
              kind == 0 ? "" : "reduce ", node, pairs.size()));
        }
        cell.insert(cell.end(), pairs.begin(), pairs.end());
      }
    }
    return genotype;
  }

  /// Mask that keeps exactly the genotype's operations. Raises
  /// InvalidArgument for an invalid genotype, one that names an (operation,
  /// input) pair twice for a node, or concat lists other than [2, 3, 4, 5],
  /// which the supernet always uses.
  Mask mask_of(const Genotype& genotype) const {
    validate_darts_genotype(genotype);
    const std::vector<int64_t> all_nodes = {2, 3, 4, 5};
    if (genotype.normal_concat != all_nodes ||
        genotype.reduce_concat != all_nodes) {
      throw InvalidArgument(fmt::format(
          "the DARTS supernet concatenates nodes [2, 3, 4, 5], but the "
          "genotype concatenates [{}] and [{}]",
          fmt::join(genotype.normal_concat, ", "),
          fmt::join(genotype.reduce_concat, ", ")));
    }
    auto columns = static_cast<int64_t>(darts_operations().size());
    std::vector<bool> keep(
        static_cast<std::size_t>(2 * kDartsCellEdges * columns), false);
    for (int64_t kind = 0; kind < 2; ++kind) {
      const auto& cell = kind == 0 ? genotype.normal : genotype.reduce;
      for (std::size_t i = 0; i < cell.size(); ++i) {
        auto node = static_cast<int64_t>(2 + i / 2);
        auto row = kind * kDartsCellEdges + edge_offset(node) + cell[i].second;
        auto column = darts_operation_index(cell[i].first);
        auto index = static_cast<std::size_t>(row * columns + column);
        if (keep[index]) {
          throw InvalidArgument(fmt::format(
              "DARTS genotype names ('{}', {}) twice for {}node {}; a mask "
              "can keep it once",
              cell[i].first, cell[i].second, kind == 0 ? "" : "reduce ",
              node));
        }
        keep[index] = true;
      }
    }
    Mask mask(2 * kDartsCellEdges, columns);
    for (int64_t row = 0; row < mask.num_edges(); ++row) {
      for (int64_t c = 0; c < columns; ++c) {
        if (!keep[static_cast<std::size_t>(row * columns + c)]) {
          mask.discard(row, c);
        }
      }
    }
    return mask;
  }

  static Genotype parse_genotype(const std::string& text) {
    return parse_darts_genotype(text);
  }

  static std::string format_genotype(const Genotype& genotype) {
    return format_darts_genotype(genotype);
  }

  static nlohmann::json genotype_json(const Genotype& genotype) {
    return darts_genotype_json(genotype);
  }

 private:
  /// Row, within one cell kind, of the edge from node 0 to `node`.
  static int64_t edge_offset(int64_t node) {
    int64_t offset = 0;
    for (int64_t n = 2; n < node; ++n) offset += n;
    return offset;
  }

  void check_mask(const Mask& mask) const {
    auto columns = static_cast<int64_t>(darts_operations().size());
    if (mask.num_edges() != 2 * kDartsCellEdges ||
        mask.num_candidates() != columns) {
      throw InvalidArgument(fmt::format(
          "DARTS mask must be {}x{}, got {}x{}", 2 * kDartsCellEdges, columns,
          mask.num_edges(), mask.num_candidates()));
    }
  }

  Options options_;
};

static_assert(check_space<DartsSpace>());

}  // namespace isdarts
