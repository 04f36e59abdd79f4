#pragma once

/// The NAS-Bench-201 network: a 3x3 stem, three stages of cells joined by
/// residual reduction blocks, then batch norm, ReLU, global average pooling
/// and a linear classifier. In the supernet every edge of a cell sums its kept
/// candidate operations; with one candidate kept per edge it is the
/// benchmark's network for that genotype.

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "isdarts/mask.hpp"
#include "isdarts/nn/layers.hpp"

namespace isdarts {

/// Size of the NAS-Bench-201 network.
struct Nb201NetworkOptions {
  /// Channels of the first stage; the second has twice and the third four
  /// times as many. Default 16.
  TORCH_ARG(int64_t, channels) = 16;
  /// Cells per stage (N). Default 5.
  TORCH_ARG(int64_t, cells) = 5;
  /// Classes of the linear classifier. Default 10.
  TORCH_ARG(int64_t, num_classes) = 10;
  /// Affine parameters in the cells' batch norm. Default false, as in search.
  TORCH_ARG(bool, affine) = false;
  /// Running statistics in the cells' batch norm. Default false, as in
  /// search: the cells then normalize with batch statistics in both modes.
  TORCH_ARG(bool, track_running_stats) = false;
};

namespace detail {

/// Column of each candidate operation in the NAS-Bench-201 mask.
enum Nb201Candidate : int64_t {
  kNb201None = 0,
  kNb201Skip = 1,
  kNb201Conv1x1 = 2,
  kNb201Conv3x3 = 3,
  kNb201AvgPool = 4,
};

/// One edge of a cell with all five candidate operations (stride 1).
class Nb201EdgeImpl : public torch::nn::Module {
 public:
  Nb201EdgeImpl(int64_t channels, bool affine, bool track)
      : conv1x1(channels, channels, 1, 1, 0, 1, affine, track),
        conv3x3(channels, channels, 3, 1, 1, 1, affine, track),
        pool(channels, 1) {
    register_module("nor_conv_1x1", conv1x1);
    register_module("nor_conv_3x3", conv3x3);
    register_module("avg_pool_3x3", pool);
  }

  /// Output of one candidate; `relu_x` is relu(x) when a convolution is kept.
  torch::Tensor candidate(int64_t column, const torch::Tensor& x,
                          const torch::Tensor& relu_x) {
    switch (column) {
      case kNb201Skip:
        return x;
      case kNb201Conv1x1:
        return conv1x1->forward_activated(relu_x);
      case kNb201Conv3x3:
        return conv3x3->forward_activated(relu_x);
      case kNb201AvgPool:
        return pool(x);
      default:
        return torch::zeros_like(x);
    }
  }

  /// Weighted sum of the kept candidates. `weights` holds one weight per
  /// column or is undefined, in which case each kept candidate, `none`
  /// included, weighs 1/|kept|. `none` and discarded candidates are not
  /// computed, except that a probe sees `none` as a zero feature map.
  torch::Tensor forward(const torch::Tensor& x,
                        const std::vector<int64_t>& kept,
                        const torch::Tensor& weights, int64_t edge,
                        const nn::OutputProbe& probe) {
    torch::Tensor relu_x;
    for (auto column : kept) {
      if (column == kNb201Conv1x1 || column == kNb201Conv3x3) {
        relu_x = torch::relu(x);
        break;
      }
    }

    torch::Tensor sum;
    for (auto column : kept) {
      if (column == kNb201None) {
        if (probe) probe(edge, column, torch::zeros_like(x));
        continue;
      }
      auto out = candidate(column, x, relu_x);
      if (probe) probe(edge, column, out);
      if (weights.defined()) out = out * weights[column];
      sum = sum.defined() ? sum + out : out;
    }

    if (!sum.defined()) return torch::zeros_like(x);
    if (!weights.defined() && kept.size() > 1) {
      sum = sum * (1.0 / static_cast<double>(kept.size()));
    }
    return sum;
  }

  nn::ReLUConvBN conv1x1;
  nn::ReLUConvBN conv3x3;
  nn::AvgPool3x3 pool;
};
TORCH_MODULE(Nb201Edge);

/// A cell of four nodes: node j sums the edges from every node i < j.
class Nb201CellImpl : public torch::nn::Module {
 public:
  Nb201CellImpl(int64_t channels, bool affine, bool track) {
    for (int64_t e = 0; e < 6; ++e) {
      edges_.push_back(register_module("edge" + std::to_string(e),
                                       Nb201Edge(channels, affine, track)));
    }
  }

  torch::Tensor forward(const torch::Tensor& x,
                        const std::vector<std::vector<int64_t>>& kept,
                        const torch::Tensor& weights,
                        const nn::OutputProbe& probe) {
    std::vector<torch::Tensor> nodes = {x};
    int64_t e = 0;
    for (int64_t node = 1; node <= 3; ++node) {
      torch::Tensor sum;
      for (int64_t input = 0; input < node; ++input, ++e) {
        auto w = weights.defined() ? weights[e] : torch::Tensor();
        auto out = edges_[static_cast<std::size_t>(e)]->forward(
            nodes[static_cast<std::size_t>(input)],
            kept[static_cast<std::size_t>(e)], w, e, probe);
        sum = sum.defined() ? sum + out : out;
      }
      nodes.push_back(sum);
    }
    return nodes.back();
  }

  Nb201Edge edge(int64_t index) {
    return edges_.at(static_cast<std::size_t>(index));
  }

 private:
  std::vector<Nb201Edge> edges_;
};
TORCH_MODULE(Nb201Cell);

/// Residual reduction block between stages: two ReLU-Conv-BN (the first with
/// stride 2) plus a shortcut of 2x2 average pooling and a 1x1 convolution.
class Nb201ResidualImpl : public torch::nn::Module {
 public:
  Nb201ResidualImpl(int64_t in_channels, int64_t out_channels)
      : conv_a(in_channels, out_channels, 3, 2, 1, 1, true, true),
        conv_b(out_channels, out_channels, 3, 1, 1, 1, true, true),
        shortcut(torch::nn::AvgPool2d(
                     torch::nn::AvgPool2dOptions(2).stride(2).padding(0)),
                 torch::nn::Conv2d(torch::nn::Conv2dOptions(
                                       in_channels, out_channels, 1)
                                       .bias(false))) {
    register_module("conv_a", conv_a);
    register_module("conv_b", conv_b);
    register_module("shortcut", shortcut);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    return conv_b(conv_a(x)) + shortcut->forward(x);
  }

  nn::ReLUConvBN conv_a;
  nn::ReLUConvBN conv_b;
  torch::nn::Sequential shortcut;
};
TORCH_MODULE(Nb201Residual);

}  // namespace detail

/// The NAS-Bench-201 supernet. The mask decides which candidate operations
/// each edge computes; all cells share it.
class Nb201SupernetImpl : public torch::nn::Module {
 public:
  explicit Nb201SupernetImpl(Nb201NetworkOptions options = {})
      : options_(options),
        stem_conv(torch::nn::Conv2dOptions(3, options.channels(), 3)
                      .padding(1)
                      .bias(false)),
        stem_bn(options.channels()),
        last_bn(options.channels() * 4),
        classifier(options.channels() * 4, options.num_classes()) {
    register_module("stem_conv", stem_conv);
    register_module("stem_bn", stem_bn);
    int64_t channels = options.channels();
    for (int64_t stage = 0; stage < 3; ++stage) {
      if (stage > 0) {
        blocks_.push_back(register_module(
            "reduction" + std::to_string(stage),
            detail::Nb201Residual(channels, channels * 2)));
        channels *= 2;
      }
      for (int64_t i = 0; i < options.cells(); ++i) {
        auto cell = register_module(
            "cell" + std::to_string(cells_.size()),
            detail::Nb201Cell(channels, options.affine(),
                              options.track_running_stats()));
        cells_.push_back(cell);
      }
    }
    register_module("last_bn", last_bn);
    register_module("classifier", classifier);
    set_mask(Mask(6, 5));
  }

  /// Logits [B, classes] for normalized images [B, 3, H, W]. `edge_weights`
  /// [6, 5] weighs each kept candidate in its edge's sum; undefined means
  /// 1/|kept| for every kept candidate.
  torch::Tensor forward(const torch::Tensor& images,
                        const torch::Tensor& edge_weights = {}) {
    auto x = stem_bn(stem_conv(images));
    std::size_t block = 0;
    for (std::size_t i = 0; i < cells_.size(); ++i) {
      if (i > 0 && i % static_cast<std::size_t>(options_.cells()) == 0) {
        x = blocks_[block++]->forward(x);
      }
      x = cells_[i]->forward(x, kept_, edge_weights, probe_);
    }
    x = torch::relu(last_bn(x));
    x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
    return classifier(x);
  }

  /// Sets the mask; its shape must be 6 edges by 5 candidates.
  void set_mask(const Mask& mask) {
    if (mask.num_edges() != 6 || mask.num_candidates() != 5) {
      throw InvalidArgument(fmt::format(
          "NAS-Bench-201 mask must be 6x5, got {}x{}", mask.num_edges(),
          mask.num_candidates()));
    }
    mask_ = mask;
    kept_.clear();
    for (int64_t e = 0; e < 6; ++e) kept_.push_back(mask.kept_candidates(e));
  }

  const Mask& mask() const { return mask_; }

  /// Sets the function that sees every kept candidate's output; an empty
  /// function switches it off.
  void set_probe(nn::OutputProbe probe) { probe_ = std::move(probe); }

  const Nb201NetworkOptions& options() const { return options_; }
  int64_t num_cells() const { return static_cast<int64_t>(cells_.size()); }
  detail::Nb201Cell cell(int64_t index) {
    return cells_.at(static_cast<std::size_t>(index));
  }

 private:
  Nb201NetworkOptions options_;
  Mask mask_;
  std::vector<std::vector<int64_t>> kept_;
  nn::OutputProbe probe_;
  std::vector<detail::Nb201Cell> cells_;
  std::vector<detail::Nb201Residual> blocks_;

 public:
  torch::nn::Conv2d stem_conv;
  torch::nn::BatchNorm2d stem_bn;
  torch::nn::BatchNorm2d last_bn;
  torch::nn::Linear classifier;
};
TORCH_MODULE(Nb201Supernet);

}  // namespace isdarts
