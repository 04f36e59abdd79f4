#pragma once

/// The DARTS search network: a 3x3 stem, a stack of normal and reduction
/// cells, global average pooling and a linear classifier, as in the DARTS
/// code's model_search.py. Each cell preprocesses the outputs of the two
/// previous cells into its input nodes 0 and 1; intermediate node i (2 to 5)
/// sums one edge from every earlier node, and the cell's output concatenates
/// nodes 2 to 5. In the supernet every edge sums its kept candidate
/// operations. All normal cells share the first 14 rows of the mask and all
/// reduction cells the last 14.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <torch/torch.h>

#include "isdarts/error.hpp"
#include "isdarts/mask.hpp"
#include "isdarts/nn/darts_ops.hpp"
#include "isdarts/nn/layers.hpp"
#include "isdarts/spaces/darts_genotype.hpp"

namespace isdarts {

/// Edges of one DARTS cell: 2 + 3 + 4 + 5 for the nodes 2 to 5.
inline constexpr int64_t kDartsCellEdges = 14;

/// Size of the DARTS search network.
struct DartsSupernetOptions {
  /// Channels C of the first cells; the stem has 3C and each reduction cell
  /// doubles C. Default 16.
  TORCH_ARG(int64_t, channels) = 16;
  /// Cells; those at cells/3 and 2*cells/3 are reduction cells. At least 3.
  /// Default 8.
  TORCH_ARG(int64_t, cells) = 8;
  /// Classes of the linear classifier. Default 10.
  TORCH_ARG(int64_t, num_classes) = 10;
  /// Affine parameters in the cells' batch norm. Default false, as in search.
  TORCH_ARG(bool, affine) = false;
  /// Running statistics in the cells' batch norm. Default false, as in
  /// search: the cells then normalize with batch statistics in both modes.
  TORCH_ARG(bool, track_running_stats) = false;
};

namespace detail {

/// One edge of a search cell with the seven computed candidate operations
/// (every column but `none`).
class DartsMixedEdgeImpl : public torch::nn::Module {
 public:
  DartsMixedEdgeImpl(int64_t channels, int64_t stride, bool affine,
                     bool track) {
    const auto& names = darts_operations();
    operations_.resize(names.size(), nn::DartsOperation(nullptr));
    for (int64_t c = kDartsMaxPool3x3; c <= kDartsDilConv5x5; ++c) {
      auto options = nn::DartsOperationOptions(c, channels, stride)
                         .affine(affine)
                         .track_running_stats(track);
      operations_[static_cast<std::size_t>(c)] = register_module(
          names[static_cast<std::size_t>(c)], nn::DartsOperation(options));
    }
    zero_ = nn::DartsOperation(
        nn::DartsOperationOptions(kDartsNone, channels, stride));
  }

  /// Weighted sum of the kept candidates, or an undefined tensor when no
  /// candidate other than `none` is kept. `weights` contains one weight per
  /// column or is undefined, in which case each kept candidate, `none`
  /// included, weighs 1/|kept|. `none` and discarded candidates are not
  /// computed, except that a probe receives `none` as zeros of the output shape.
  torch::Tensor forward(const torch::Tensor& x,
                        const std::vector<int64_t>& kept,
                        const torch::Tensor& weights, int64_t row,
                        const nn::OutputProbe& probe) {
    torch::Tensor relu_x;
    for (auto column : kept) {
      if (column != kDartsNone &&
          operations_[static_cast<std::size_t>(column)]->uses_relu()) {
        relu_x = torch::relu(x);
        break;
      }
    }

    torch::Tensor sum;
    for (auto column : kept) {
      if (column == kDartsNone) {
        if (probe) probe(row, column, zero_->zeros(x));
        continue;
      }
      auto out = candidate(column, x, relu_x);
      if (probe) probe(row, column, out);
      if (weights.defined()) out = out * weights[column];
      sum = sum.defined() ? sum + out : out;
    }

    if (sum.defined() && !weights.defined() && kept.size() > 1) {
      sum = sum * (1.0 / static_cast<double>(kept.size()));
    }
    return sum;
  }

  /// Output of one candidate other than `none`; `relu_x` may be undefined.
  torch::Tensor candidate(int64_t column, const torch::Tensor& x,
                          const torch::Tensor& relu_x = {}) {
    return operations_.at(static_cast<std::size_t>(column))->forward(x,
                                                                      relu_x);
  }

  /// Zeros of the edge's output shape for input `x`.
  torch::Tensor zeros(const torch::Tensor& x) const { return zero_->zeros(x); }

 private:
  std::vector<nn::DartsOperation> operations_;
  nn::DartsOperation zero_{nullptr};
};
TORCH_MODULE(DartsMixedEdge);

/// A search cell: two preprocessed input nodes and four intermediate nodes.
class DartsSearchCellImpl : public torch::nn::Module {
 public:
  DartsSearchCellImpl(int64_t prev_prev_channels, int64_t prev_channels,
                      int64_t channels, bool reduction, bool reduction_prev,
                      bool affine, bool track)
      : reduction_(reduction),
        preprocess0(prev_prev_channels, channels, reduction_prev, affine,
                    track),
        preprocess1(prev_channels, channels, false, affine, track) {
    register_module("preprocess0", preprocess0);
    register_module("preprocess1", preprocess1);
    for (int64_t node = 2; node < 2 + kDartsSteps; ++node) {
      for (int64_t input = 0; input < node; ++input) {
        int64_t stride = reduction && input < 2 ? 2 : 1;
        edges_.push_back(register_module(
            "edge" + std::to_string(edges_.size()),
            DartsMixedEdge(channels, stride, affine, track)));
      }
    }
  }

  /// Output [B, 4C, H', W'] of the cell for the previous cells' outputs.
  /// `kept` contains the kept columns of the 14 edges of this cell kind,
  /// `weights` is [14, 8] or undefined, and `first_row` is the mask row of
  /// edge 0, which the probe receives with each edge's offset added.
  torch::Tensor forward(const torch::Tensor& s0, const torch::Tensor& s1,
                        const std::vector<std::vector<int64_t>>& kept,
                        const torch::Tensor& weights, int64_t first_row,
                        const nn::OutputProbe& probe) {
    std::vector<torch::Tensor> nodes = {preprocess0(s0), preprocess1(s1)};
    std::size_t e = 0;
    for (int64_t node = 2; node < 2 + kDartsSteps; ++node) {
      const auto first_edge = e;
      torch::Tensor sum;
      for (int64_t input = 0; input < node; ++input, ++e) {
        auto w = weights.defined() ? weights[static_cast<int64_t>(e)]
                                   : torch::Tensor();
        auto out = edges_[e]->forward(nodes[static_cast<std::size_t>(input)],
                                      kept[e], w,
                                      first_row + static_cast<int64_t>(e),
                                      probe);
        if (out.defined()) sum = sum.defined() ? sum + out : out;
      }
      // A node whose edges keep nothing but `none` outputs zeros, in the
      // shape of its edge from node 1.
      if (!sum.defined()) sum = edges_[first_edge + 1]->zeros(nodes[1]);
      nodes.push_back(sum);
    }
    return torch::cat({nodes[2], nodes[3], nodes[4], nodes[5]}, 1);
  }

  bool reduction() const { return reduction_; }
  DartsMixedEdge edge(int64_t index) {
    return edges_.at(static_cast<std::size_t>(index));
  }

 private:
  bool reduction_;
  std::vector<DartsMixedEdge> edges_;

 public:
  nn::DartsPreprocess preprocess0;
  nn::DartsPreprocess preprocess1;
};
TORCH_MODULE(DartsSearchCell);

}  // namespace detail

/// The DARTS supernet. The mask decides which candidate operations each
/// edge computes: rows 0 to 13 are the edges of every normal cell and rows
/// 14 to 27 those of every reduction cell.
class DartsSupernetImpl : public torch::nn::Module {
 public:
  explicit DartsSupernetImpl(DartsSupernetOptions options = {})
      : options_(options),
        stem_conv(torch::nn::Conv2dOptions(3, 3 * options.channels(), 3)
                      .padding(1)
                      .bias(false)),
        stem_bn(3 * options.channels()) {
    nn::check_darts_network_size(options.channels(), options.cells(),
                                 options.num_classes());
    register_module("stem_conv", stem_conv);
    register_module("stem_bn", stem_bn);

    int64_t prev_prev = 3 * options.channels();
    int64_t prev = prev_prev;
    int64_t channels = options.channels();
    bool reduction_prev = false;
    for (int64_t i = 0; i < options.cells(); ++i) {
      bool reduction = nn::is_darts_reduction_cell(i, options.cells());
      if (reduction) channels *= 2;
      cells_.push_back(register_module(
          "cell" + std::to_string(i),
          detail::DartsSearchCell(prev_prev, prev, channels, reduction,
                                  reduction_prev, options.affine(),
                                  options.track_running_stats())));
      reduction_prev = reduction;
      prev_prev = prev;
      prev = kDartsSteps * channels;
    }
    classifier = register_module(
        "classifier", torch::nn::Linear(prev, options.num_classes()));
    set_mask(Mask(2 * kDartsCellEdges,
                  static_cast<int64_t>(darts_operations().size())));
  }

  /// Logits [B, classes] for normalized images [B, 3, H, W]. `edge_weights`
  /// [28, 8] weighs each kept candidate in its edge's sum; undefined means
  /// 1/|kept| for every kept candidate.
  torch::Tensor forward(const torch::Tensor& images,
                        const torch::Tensor& edge_weights = {}) {
    auto s0 = stem_bn(stem_conv(images));
    auto s1 = s0;
    for (auto& cell : cells_) {
      int64_t kind = cell->reduction() ? 1 : 0;
      auto first_row = kind * kDartsCellEdges;
      auto weights = edge_weights.defined()
                         ? edge_weights.narrow(0, first_row, kDartsCellEdges)
                         : torch::Tensor();
      auto out = cell->forward(s0, s1, kept_[static_cast<std::size_t>(kind)],
                               weights, first_row, probe_);
      s0 = std::move(s1);
      s1 = std::move(out);
    }
    auto pooled = torch::adaptive_avg_pool2d(s1, {1, 1}).flatten(1);
    return classifier(pooled);
  }

  /// Sets the mask; its shape must be 28 edges by 8 candidates.
  void set_mask(const Mask& mask) {
    auto columns = static_cast<int64_t>(darts_operations().size());
    if (mask.num_edges() != 2 * kDartsCellEdges ||
        mask.num_candidates() != columns) {
      throw InvalidArgument(fmt::format(
          "DARTS mask must be {}x{}, got {}x{}", 2 * kDartsCellEdges, columns,
          mask.num_edges(), mask.num_candidates()));
    }
    mask_ = mask;
    for (int64_t kind = 0; kind < 2; ++kind) {
      auto& rows = kept_[static_cast<std::size_t>(kind)];
      rows.clear();
      for (int64_t e = 0; e < kDartsCellEdges; ++e) {
        rows.push_back(mask.kept_candidates(kind * kDartsCellEdges + e));
      }
    }
  }

  const Mask& mask() const { return mask_; }

  /// Sets the function that receives every kept candidate's output; an empty
  /// function switches it off.
  void set_probe(nn::OutputProbe probe) { probe_ = std::move(probe); }

  const DartsSupernetOptions& options() const { return options_; }
  int64_t num_cells() const { return static_cast<int64_t>(cells_.size()); }
  detail::DartsSearchCell cell(int64_t index) {
    return cells_.at(static_cast<std::size_t>(index));
  }

 private:
  DartsSupernetOptions options_;
  Mask mask_;
  /// Kept columns per edge, for normal (0) and reduction (1) cells.
  std::vector<std::vector<int64_t>> kept_[2];
  nn::OutputProbe probe_;
  std::vector<detail::DartsSearchCell> cells_;

 public:
  torch::nn::Conv2d stem_conv;
  torch::nn::BatchNorm2d stem_bn;
  torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(DartsSupernet);

}  // namespace isdarts
