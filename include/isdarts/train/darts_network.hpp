#pragma once

/// The DARTS evaluation network for CIFAR (`NetworkCIFAR` in the DARTS
/// code's model.py). It has a 3x3 stem to 3C channels and a stack of cells
/// built from one genotype, with reduction cells at cells/3 and 2*cells/3.
/// An auxiliary classifier follows the second reduction cell, and global
/// average pooling feeds a linear classifier. Batch norm has affine
/// parameters and running statistics, and drop path zeroes whole operation
/// outputs per image while training.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <torch/torch.h>

#include "isdarts/error.hpp"
#include "isdarts/nn/darts_ops.hpp"
#include "isdarts/spaces/darts_genotype.hpp"

namespace isdarts {

/// Size of the DARTS evaluation network.
struct DartsNetworkOptions {
  /// Channels C of the first cells; the stem has 3C and each reduction cell
  /// doubles C. Default 36.
  TORCH_ARG(int64_t, channels) = 36;
  /// Cells; those at cells/3 and 2*cells/3 are reduction cells. At least 3.
  /// Default 20.
  TORCH_ARG(int64_t, cells) = 20;
  /// Classes of the classifiers. Default 10.
  TORCH_ARG(int64_t, num_classes) = 10;
  /// Auxiliary classifier on the output of the cell at 2*cells/3, used only
  /// while training. Default true.
  TORCH_ARG(bool, auxiliary) = true;
};

/// Logits of one training forward pass.
struct TrainingOutput {
  torch::Tensor logits;
  /// Logits of the auxiliary classifier, or undefined without one.
  torch::Tensor auxiliary_logits;
};

namespace detail {

/// Zeroes each image's `x` with probability `probability` and scales the
/// rest by 1 / (1 - probability), as DARTS' drop_path does.
inline torch::Tensor drop_path(const torch::Tensor& x, double probability) {
  double keep = 1.0 - probability;
  auto mask = torch::empty({x.size(0), 1, 1, 1}, x.options()).bernoulli_(keep);
  return x * mask * (1.0 / keep);
}

/// One evaluation cell: node i (2 to 5) sums the outputs of two operations.
class DartsCellImpl : public torch::nn::Module {
 public:
  DartsCellImpl(const DartsGenotype& genotype, int64_t prev_prev_channels,
                int64_t prev_channels, int64_t channels, bool reduction,
                bool reduction_prev)
      : preprocess0(prev_prev_channels, channels, reduction_prev, true, true),
        preprocess1(prev_channels, channels, false, true, true) {
    register_module("preprocess0", preprocess0);
    register_module("preprocess1", preprocess1);
    const auto& pairs = reduction ? genotype.reduce : genotype.normal;
    concat_ = reduction ? genotype.reduce_concat : genotype.normal_concat;
    for (const auto& [name, input] : pairs) {
      int64_t stride = reduction && input < 2 ? 2 : 1;
      auto options =
          nn::DartsOperationOptions(darts_operation_index(name), channels,
                                    stride)
              .affine(true)
              .track_running_stats(true)
              .pool_batch_norm(false);
      operations_.push_back(register_module(
          "op" + std::to_string(operations_.size()),
          nn::DartsOperation(options)));
      inputs_.push_back(input);
    }
  }

  /// Output [B, |concat| * C, H', W'] for the previous cells' outputs.
  torch::Tensor forward(const torch::Tensor& s0, const torch::Tensor& s1,
                        double drop_path_probability) {
    std::vector<torch::Tensor> nodes = {preprocess0(s0), preprocess1(s1)};
    bool drop = is_training() && drop_path_probability > 0.0;
    for (std::size_t i = 0; i < operations_.size(); i += 2) {
      torch::Tensor sum;
      for (std::size_t k = i; k < i + 2; ++k) {
        auto& operation = operations_[k];
        auto out = operation->forward(
            nodes[static_cast<std::size_t>(inputs_[k])]);
        if (drop && !operation->is_identity()) {
          out = drop_path(out, drop_path_probability);
        }
        sum = sum.defined() ? sum + out : out;
      }
      nodes.push_back(sum);
    }
    std::vector<torch::Tensor> outputs;
    for (auto node : concat_) {
      outputs.push_back(nodes[static_cast<std::size_t>(node)]);
    }
    return torch::cat(outputs, 1);
  }

  int64_t multiplier() const { return static_cast<int64_t>(concat_.size()); }

 private:
  std::vector<nn::DartsOperation> operations_;
  std::vector<int64_t> inputs_;
  std::vector<int64_t> concat_;

 public:
  nn::DartsPreprocess preprocess0;
  nn::DartsPreprocess preprocess1;
};
TORCH_MODULE(DartsCell);

/// DARTS' AuxiliaryHeadCIFAR for an 8x8 input: ReLU, 5x5 average pooling
/// with stride 3 (to 2x2), 1x1 convolution to 128 channels, batch norm,
/// ReLU, 2x2 convolution to 768 channels, batch norm, ReLU and a linear
/// classifier.
class AuxiliaryHeadImpl : public torch::nn::Module {
 public:
  AuxiliaryHeadImpl(int64_t channels, int64_t num_classes)
      : conv1(torch::nn::Conv2dOptions(channels, 128, 1).bias(false)),
        bn1(128),
        conv2(torch::nn::Conv2dOptions(128, 768, 2).bias(false)),
        bn2(768),
        classifier(768, num_classes) {
    register_module("conv1", conv1);
    register_module("bn1", bn1);
    register_module("conv2", conv2);
    register_module("bn2", bn2);
    register_module("classifier", classifier);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    auto y = torch::avg_pool2d(torch::relu(x), 5, 3, 0, false,
                               /*count_include_pad=*/false);
    y = torch::relu(bn1(conv1(y)));
    y = torch::relu(bn2(conv2(y)));
    return classifier(y.flatten(1));
  }

  torch::nn::Conv2d conv1;
  torch::nn::BatchNorm2d bn1;
  torch::nn::Conv2d conv2;
  torch::nn::BatchNorm2d bn2;
  torch::nn::Linear classifier;
};
TORCH_MODULE(AuxiliaryHead);

}  // namespace detail

/// The DARTS evaluation network of a genotype. Parameter names of the
/// auxiliary classifier contain "auxiliary", so that parameter counts can
/// leave it out as DARTS does. The auxiliary classifier expects 32x32
/// images, which reach it as 8x8 feature maps.
class DartsNetworkImpl : public torch::nn::Module {
 public:
  explicit DartsNetworkImpl(const DartsGenotype& genotype,
                            DartsNetworkOptions options = {})
      : genotype_(genotype),
        options_(options),
        stem_conv(torch::nn::Conv2dOptions(3, 3 * options.channels(), 3)
                      .padding(1)
                      .bias(false)),
        stem_bn(3 * options.channels()) {
    validate_darts_genotype(genotype);
    nn::check_darts_network_size(options.channels(), options.cells(),
                                 options.num_classes());
    register_module("stem_conv", stem_conv);
    register_module("stem_bn", stem_bn);

    int64_t prev_prev = 3 * options.channels();
    int64_t prev = prev_prev;
    int64_t channels = options.channels();
    int64_t auxiliary_channels = 0;
    bool reduction_prev = false;
    for (int64_t i = 0; i < options.cells(); ++i) {
      bool reduction = nn::is_darts_reduction_cell(i, options.cells());
      if (reduction) channels *= 2;
      auto cell = register_module(
          "cell" + std::to_string(i),
          detail::DartsCell(genotype, prev_prev, prev, channels, reduction,
                            reduction_prev));
      cells_.push_back(cell);
      reduction_prev = reduction;
      prev_prev = prev;
      prev = cell->multiplier() * channels;
      if (i == auxiliary_cell()) auxiliary_channels = prev;
    }
    if (options.auxiliary()) {
      auxiliary_head = register_module(
          "auxiliary_head",
          detail::AuxiliaryHead(auxiliary_channels, options.num_classes()));
    }
    classifier = register_module(
        "classifier", torch::nn::Linear(prev, options.num_classes()));
  }

  /// Logits [B, classes] for normalized images [B, 3, 32, 32].
  torch::Tensor forward(const torch::Tensor& images) {
    return forward_training(images).logits;
  }

  /// Logits and, in training mode with the auxiliary classifier, its logits.
  TrainingOutput forward_training(const torch::Tensor& images) {
    TrainingOutput output;
    auto s0 = stem_bn(stem_conv(images));
    auto s1 = s0;
    for (int64_t i = 0; i < static_cast<int64_t>(cells_.size()); ++i) {
      auto out = cells_[static_cast<std::size_t>(i)]->forward(
          s0, s1, drop_path_probability_);
      s0 = std::move(s1);
      s1 = std::move(out);
      if (i == auxiliary_cell() && auxiliary_head && is_training()) {
        output.auxiliary_logits = auxiliary_head(s1);
      }
    }
    auto pooled = torch::adaptive_avg_pool2d(s1, {1, 1}).flatten(1);
    output.logits = classifier(pooled);
    return output;
  }

  /// Sets the drop-path probability of every non-identity operation while
  /// training; DARTS raises it linearly over the epochs.
  void set_drop_path_probability(double probability) {
    if (!(probability >= 0.0 && probability < 1.0)) {
      throw InvalidArgument(fmt::format(
          "drop-path probability {} is outside [0, 1); use for example 0.2",
          probability));
    }
    drop_path_probability_ = probability;
  }

  double drop_path_probability() const { return drop_path_probability_; }
  const DartsGenotype& genotype() const { return genotype_; }
  const DartsNetworkOptions& options() const { return options_; }

 private:
  int64_t auxiliary_cell() const { return 2 * options_.cells() / 3; }

  DartsGenotype genotype_;
  DartsNetworkOptions options_;
  double drop_path_probability_ = 0.0;
  std::vector<detail::DartsCell> cells_;

 public:
  torch::nn::Conv2d stem_conv;
  torch::nn::BatchNorm2d stem_bn;
  detail::AuxiliaryHead auxiliary_head{nullptr};
  torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(DartsNetwork);

}  // namespace isdarts
