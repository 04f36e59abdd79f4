#pragma once

/// Operations of the DARTS cell (Liu, Simonyan and Yang, "DARTS:
/// Differentiable Architecture Search", ICLR 2019), as in the DARTS code's
/// operations.py, shared by the search supernet and the evaluation network.

#include <cstdint>
#include <string>

#include <fmt/format.h>
#include <torch/torch.h>

#include "isdarts/error.hpp"
#include "isdarts/nn/layers.hpp"
#include "isdarts/spaces/darts_genotype.hpp"

namespace isdarts::nn {

namespace detail {

inline torch::nn::Conv2dOptions depthwise_options(int64_t channels,
                                                  int64_t kernel,
                                                  int64_t stride,
                                                  int64_t padding,
                                                  int64_t dilation) {
  return torch::nn::Conv2dOptions(channels, channels, kernel)
      .stride(stride)
      .padding(padding)
      .dilation(dilation)
      .groups(channels)
      .bias(false);
}

inline torch::nn::Conv2dOptions pointwise_options(int64_t in_channels,
                                                  int64_t out_channels) {
  return torch::nn::Conv2dOptions(in_channels, out_channels, 1).bias(false);
}

}  // namespace detail

/// Returns whether cell `index` of a DARTS network of `cells` cells is a
/// reduction cell, as the cells at cells/3 and 2*cells/3 (integer division)
/// are.
inline bool is_darts_reduction_cell(int64_t index, int64_t cells) {
  return index == cells / 3 || index == 2 * cells / 3;
}

/// Raises InvalidArgument unless a DARTS network of this size can be built.
/// The search network, the evaluation network and `DartsSpace` share it.
inline void check_darts_network_size(int64_t channels, int64_t cells,
                                     int64_t num_classes) {
  if (channels < 1 || cells < 3 || num_classes < 2) {
    throw InvalidArgument(fmt::format(
        "invalid DARTS network: channels {}, cells {}, classes {}; use at "
        "least 1 channel, 3 cells (so that the two reduction cells are "
        "distinct) and 2 classes",
        channels, cells, num_classes));
  }
}

/// Separable convolution of DARTS: (ReLU, depthwise k x k convolution,
/// pointwise 1x1 convolution, batch norm) twice, the first with the stride.
class SepConvImpl : public torch::nn::Module {
 public:
  SepConvImpl(int64_t channels, int64_t kernel, int64_t stride, bool affine,
              bool track)
      : depthwise1(detail::depthwise_options(channels, kernel, stride,
                                             kernel / 2, 1)),
        pointwise1(detail::pointwise_options(channels, channels)),
        bn1(batch_norm_options(channels, affine, track)),
        depthwise2(
            detail::depthwise_options(channels, kernel, 1, kernel / 2, 1)),
        pointwise2(detail::pointwise_options(channels, channels)),
        bn2(batch_norm_options(channels, affine, track)) {
    register_module("depthwise1", depthwise1);
    register_module("pointwise1", pointwise1);
    register_module("bn1", bn1);
    register_module("depthwise2", depthwise2);
    register_module("pointwise2", pointwise2);
    register_module("bn2", bn2);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    return forward_activated(torch::relu(x));
  }

  /// Applies the operation to an input that already went through ReLU.
  torch::Tensor forward_activated(const torch::Tensor& relu_x) {
    auto y = bn1(pointwise1(depthwise1(relu_x)));
    return bn2(pointwise2(depthwise2(torch::relu(y))));
  }

  torch::nn::Conv2d depthwise1;
  torch::nn::Conv2d pointwise1;
  torch::nn::BatchNorm2d bn1;
  torch::nn::Conv2d depthwise2;
  torch::nn::Conv2d pointwise2;
  torch::nn::BatchNorm2d bn2;
};
TORCH_MODULE(SepConv);

/// Dilated separable convolution of DARTS: ReLU, depthwise k x k
/// convolution with dilation 2, pointwise 1x1 convolution, batch norm.
class DilConvImpl : public torch::nn::Module {
 public:
  DilConvImpl(int64_t channels, int64_t kernel, int64_t stride, bool affine,
              bool track)
      : depthwise(detail::depthwise_options(channels, kernel, stride,
                                            kernel - 1, 2)),
        pointwise(detail::pointwise_options(channels, channels)),
        bn(batch_norm_options(channels, affine, track)) {
    register_module("depthwise", depthwise);
    register_module("pointwise", pointwise);
    register_module("bn", bn);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    return forward_activated(torch::relu(x));
  }

  /// Applies the operation to an input that already went through ReLU.
  torch::Tensor forward_activated(const torch::Tensor& relu_x) {
    return bn(pointwise(depthwise(relu_x)));
  }

  torch::nn::Conv2d depthwise;
  torch::nn::Conv2d pointwise;
  torch::nn::BatchNorm2d bn;
};
TORCH_MODULE(DilConv);

/// Factorized reduction of DARTS: ReLU, then two 1x1 convolutions with
/// stride 2, one on the input and one on the input shifted by one pixel,
/// each giving half of the output channels, then batch norm. It halves the
/// height and width (rounding up).
class FactorizedReduceImpl : public torch::nn::Module {
 public:
  FactorizedReduceImpl(int64_t in_channels, int64_t out_channels, bool affine,
                       bool track)
      : conv_1(torch::nn::Conv2dOptions(in_channels, out_channels / 2, 1)
                   .stride(2)
                   .bias(false)),
        conv_2(torch::nn::Conv2dOptions(in_channels, out_channels / 2, 1)
                   .stride(2)
                   .bias(false)),
        bn(batch_norm_options(out_channels, affine, track)) {
    if (out_channels < 2 || out_channels % 2 != 0) {
      throw InvalidArgument(fmt::format(
          "factorized reduction needs an even number of output channels, "
          "got {}; use an even channel count",
          out_channels));
    }
    register_module("conv_1", conv_1);
    register_module("conv_2", conv_2);
    register_module("bn", bn);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    return forward_activated(torch::relu(x));
  }

  /// Applies the operation to an input that already went through ReLU.
  torch::Tensor forward_activated(const torch::Tensor& relu_x) {
    using torch::indexing::None;
    using torch::indexing::Slice;
    auto shifted = relu_x.index({Slice(), Slice(), Slice(1, None),
                                 Slice(1, None)});
    // For an odd height or width the shifted input is padded by one pixel
    // at the bottom or right, so both halves get ceil(H/2) x ceil(W/2)
    // pixels. DARTS networks on 32x32 images only produce even sizes, for
    // which this changes nothing.
    int64_t pad_bottom = relu_x.size(2) % 2;
    int64_t pad_right = relu_x.size(3) % 2;
    if (pad_bottom != 0 || pad_right != 0) {
      shifted = torch::constant_pad_nd(shifted, {0, pad_right, 0, pad_bottom});
    }
    return bn(torch::cat({conv_1(relu_x), conv_2(shifted)}, 1));
  }

  torch::nn::Conv2d conv_1;
  torch::nn::Conv2d conv_2;
  torch::nn::BatchNorm2d bn;
};
TORCH_MODULE(FactorizedReduce);

/// Settings of one DARTS operation.
struct DartsOperationOptions {
  DartsOperationOptions(int64_t primitive, int64_t channels, int64_t stride)
      : primitive_(primitive), channels_(channels), stride_(stride) {}

  /// Column of the operation in `darts_operations()` (a DartsPrimitive).
  TORCH_ARG(int64_t, primitive);
  /// Input and output channels.
  TORCH_ARG(int64_t, channels);
  /// 1, or 2 on the edges of a reduction cell that read its input nodes.
  TORCH_ARG(int64_t, stride);
  /// Affine parameters in batch norm. Default false, as in search.
  TORCH_ARG(bool, affine) = false;
  /// Running statistics in batch norm. Default false, as in search.
  TORCH_ARG(bool, track_running_stats) = false;
  /// Batch norm (without affine parameters) after the pooling operations,
  /// as in the DARTS search network. Default true.
  TORCH_ARG(bool, pool_batch_norm) = true;
};

/// One operation of `darts_operations()`. `none` gives zeros of the output
/// shape; `skip_connect` is the identity, or a factorized reduction with
/// stride 2; average pooling excludes the padding.
class DartsOperationImpl : public torch::nn::Module {
 public:
  explicit DartsOperationImpl(const DartsOperationOptions& options)
      : options_(options) {
    auto c = options.channels();
    auto s = options.stride();
    bool affine = options.affine();
    bool track = options.track_running_stats();
    if (s != 1 && s != 2) {
      throw InvalidArgument(fmt::format(
          "DARTS operation stride {} is invalid; use 1 or 2", s));
    }
    switch (options.primitive()) {
      case kDartsNone:
        break;
      case kDartsMaxPool3x3:
      case kDartsAvgPool3x3:
        if (options.primitive() == kDartsAvgPool3x3) {
          avg_pool = register_module("avg_pool", AvgPool3x3(c, s));
        }
        if (options.pool_batch_norm()) {
          pool_bn = register_module(
              "bn", torch::nn::BatchNorm2d(
                        batch_norm_options(c, false, track)));
        }
        break;
      case kDartsSkipConnect:
        if (s == 2) {
          reduce = register_module("reduce",
                                   FactorizedReduce(c, c, affine, track));
        }
        break;
      case kDartsSepConv3x3:
      case kDartsSepConv5x5: {
        int64_t kernel = options.primitive() == kDartsSepConv3x3 ? 3 : 5;
        sep_conv = register_module("sep_conv",
                                   SepConv(c, kernel, s, affine, track));
        break;
      }
      case kDartsDilConv3x3:
      case kDartsDilConv5x5: {
        int64_t kernel = options.primitive() == kDartsDilConv3x3 ? 3 : 5;
        dil_conv = register_module("dil_conv",
                                   DilConv(c, kernel, s, affine, track));
        break;
      }
      default:
        throw InvalidArgument(fmt::format(
            "DARTS operation column {} is invalid; use 0 to {}",
            options.primitive(), darts_operations().size() - 1));
    }
  }

  /// Output for input `x`. `relu_x`, when defined, is relu(x), shared by the
  /// operations of one edge that start with ReLU.
  torch::Tensor forward(const torch::Tensor& x,
                        const torch::Tensor& relu_x = {}) {
    auto activated = [&] { return relu_x.defined() ? relu_x : torch::relu(x); };
    switch (options_.primitive()) {
      case kDartsMaxPool3x3: {
        auto y = torch::max_pool2d(x, 3, options_.stride(), 1);
        return pool_bn ? pool_bn(y) : y;
      }
      case kDartsAvgPool3x3: {
        auto y = avg_pool(x);
        return pool_bn ? pool_bn(y) : y;
      }
      case kDartsSkipConnect:
        return reduce ? reduce->forward_activated(activated()) : x;
      case kDartsSepConv3x3:
      case kDartsSepConv5x5:
        return sep_conv->forward_activated(activated());
      case kDartsDilConv3x3:
      case kDartsDilConv5x5:
        return dil_conv->forward_activated(activated());
      default:
        return zeros(x);
    }
  }

  /// Zeros of this operation's output shape for input `x`.
  torch::Tensor zeros(const torch::Tensor& x) const {
    if (options_.stride() == 1) return torch::zeros_like(x);
    return torch::zeros({x.size(0), x.size(1), (x.size(2) + 1) / 2,
                         (x.size(3) + 1) / 2},
                        x.options());
  }

  /// Returns whether the operation starts with ReLU, so that it can take
  /// `relu_x`.
  bool uses_relu() const {
    auto p = options_.primitive();
    return p >= kDartsSepConv3x3 ||
           (p == kDartsSkipConnect && options_.stride() == 2);
  }

  /// Returns whether the operation is the identity (`skip_connect` with
  /// stride 1).
  bool is_identity() const {
    return options_.primitive() == kDartsSkipConnect &&
           options_.stride() == 1;
  }

  const DartsOperationOptions& options() const { return options_; }

  AvgPool3x3 avg_pool{nullptr};
  torch::nn::BatchNorm2d pool_bn{nullptr};
  FactorizedReduce reduce{nullptr};
  SepConv sep_conv{nullptr};
  DilConv dil_conv{nullptr};

 private:
  DartsOperationOptions options_;
};
TORCH_MODULE(DartsOperation);

/// Preprocessing of a DARTS cell's input node: ReLU-Conv1x1-BN, or a
/// factorized reduction when the input has twice the cell's resolution.
class DartsPreprocessImpl : public torch::nn::Module {
 public:
  DartsPreprocessImpl(int64_t in_channels, int64_t out_channels,
                      bool halve_resolution, bool affine, bool track) {
    if (halve_resolution) {
      reduce = register_module(
          "reduce",
          FactorizedReduce(in_channels, out_channels, affine, track));
    } else {
      conv = register_module("conv",
                             ReLUConvBN(in_channels, out_channels, 1, 1, 0, 1,
                                        affine, track));
    }
  }

  torch::Tensor forward(const torch::Tensor& x) {
    return reduce ? reduce(x) : conv(x);
  }

  FactorizedReduce reduce{nullptr};
  ReLUConvBN conv{nullptr};
};
TORCH_MODULE(DartsPreprocess);

}  // namespace isdarts::nn
