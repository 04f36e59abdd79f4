#pragma once

/// Building blocks shared by the search spaces' networks.

#include <cstdint>
#include <functional>

#include <torch/torch.h>

namespace isdarts::nn {

/// Called with every kept candidate operation's output while importance is
/// measured: the edge's row in the mask, the candidate's column, and the
/// output feature map [B, C, H, W]. An empty function switches probing off.
using OutputProbe = std::function<void(int64_t edge, int64_t candidate,
                                       const torch::Tensor& output)>;

/// Batch norm options. Search cells use neither affine parameters nor running
/// statistics, so they always normalize with the statistics of the batch.
inline torch::nn::BatchNorm2dOptions batch_norm_options(int64_t channels,
                                                        bool affine,
                                                        bool track) {
  return torch::nn::BatchNorm2dOptions(channels).affine(affine)
      .track_running_stats(track);
}

/// ReLU, convolution without bias, then batch norm.
class ReLUConvBNImpl : public torch::nn::Module {
 public:
  ReLUConvBNImpl(int64_t in_channels, int64_t out_channels, int64_t kernel,
                 int64_t stride, int64_t padding, int64_t dilation,
                 bool affine, bool track)
      : conv(torch::nn::Conv2dOptions(in_channels, out_channels, kernel)
                 .stride(stride)
                 .padding(padding)
                 .dilation(dilation)
                 .bias(false)),
        bn(batch_norm_options(out_channels, affine, track)) {
    register_module("conv", conv);
    register_module("bn", bn);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    return bn(conv(torch::relu(x)));
  }

  /// Applies convolution and batch norm to an input that already went
  /// through ReLU, so that candidates on one edge share that activation.
  torch::Tensor forward_activated(const torch::Tensor& relu_x) {
    return bn(conv(relu_x));
  }

  torch::nn::Conv2d conv;
  torch::nn::BatchNorm2d bn;
};
TORCH_MODULE(ReLUConvBN);

/// 3x3 average pooling with padding 1 that averages only the pixels inside
/// the image, like `torch::nn::AvgPool2d` with `count_include_pad(false)`.
/// It runs as a depthwise convolution with a fixed kernel of ones followed by
/// a division by the pixel count, which LibTorch computes several times
/// faster on the CPU than its average-pooling kernel.
class AvgPool3x3Impl : public torch::nn::Module {
 public:
  AvgPool3x3Impl(int64_t channels, int64_t stride)
      : channels_(channels), stride_(stride) {
    kernel_ = register_buffer("kernel", torch::ones({channels, 1, 3, 3}));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    auto sum = torch::conv2d(x, kernel_.to(x.dtype()), {}, stride_, 1, 1,
                             channels_);
    return sum * inverse_count(x);
  }

 private:
  /// 1 / (pixels inside the image under each window), [1, 1, H', W'],
  /// computed once per input size.
  const torch::Tensor& inverse_count(const torch::Tensor& x) {
    if (!inverse_count_.defined() || height_ != x.size(2) ||
        width_ != x.size(3) || inverse_count_.device() != x.device() ||
        inverse_count_.dtype() != x.dtype()) {
      torch::NoGradGuard no_grad;
      auto ones = torch::ones({1, 1, x.size(2), x.size(3)}, x.options());
      auto window = torch::ones({1, 1, 3, 3}, x.options());
      inverse_count_ = 1.0 / torch::conv2d(ones, window, {}, stride_, 1);
      height_ = x.size(2);
      width_ = x.size(3);
    }
    return inverse_count_;
  }

  int64_t channels_;
  int64_t stride_;
  torch::Tensor kernel_;
  torch::Tensor inverse_count_;
  int64_t height_ = 0;
  int64_t width_ = 0;
};
TORCH_MODULE(AvgPool3x3);

}  // namespace isdarts::nn
