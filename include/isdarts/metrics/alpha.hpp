#pragma once

/// DARTS' architecture weights as an importance metric (Liu et al., "DARTS:
/// Differentiable Architecture Search", ICLR 2019).
///
/// The metric owns one architecture weight (alpha) per candidate operation on
/// each edge, shared by all cells that share the edge. The supernet mixes the
/// kept candidates of an edge by the softmax of their alphas. Discarded
/// candidates are masked with -inf before the softmax, so they weigh 0 and
/// the kept ones sum to 1. The searcher trains the alphas with Adam on one
/// half of the training images while the network weights train on the other
/// half (first-order DARTS). The importance of a candidate is its softmax
/// weight.
///
/// With `OneShot` this is plain DARTS; with `LinearShrink` it shrinks the
/// supernet by alpha instead of IIM (the S-DARTS ablation of IS-DARTS).

#include <cstdint>
#include <limits>
#include <memory>
#include <tuple>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include "isdarts/error.hpp"
#include "isdarts/mask.hpp"
#include "isdarts/metrics/metric.hpp"

namespace isdarts {

/// Settings of the architecture weights and of their Adam optimizer. The
/// defaults are those of DARTS. They take effect at the next `reset()`,
/// which the searcher calls at the start of each search.
struct AlphaMetricOptions {
  /// Adam learning rate of the architecture weights; 0 freezes them.
  /// Default 3e-4.
  TORCH_ARG(double, learning_rate) = 3e-4;
  /// Adam's first-moment decay, in [0, 1). Default 0.5.
  TORCH_ARG(double, beta1) = 0.5;
  /// Adam's second-moment decay, in [0, 1). Default 0.999.
  TORCH_ARG(double, beta2) = 0.999;
  /// L2 penalty on the architecture weights, added to their gradient.
  /// Default 1e-3.
  TORCH_ARG(double, weight_decay) = 1e-3;
  /// Standard deviation of the normal draw that initializes the weights.
  /// Default 1e-3.
  TORCH_ARG(double, init_scale) = 1e-3;
};

class AlphaMetric {
 public:
  static constexpr const char* name = "alpha";
  static constexpr bool larger_is_more_important = true;
  using Options = AlphaMetricOptions;

  /// Raises InvalidArgument for an option outside its range.
  explicit AlphaMetric(Options options = {});

  const Options& options() const { return options_; }

  /// Draws new architecture weights [edges, candidates] as
  /// `init_scale * randn` from a generator seeded with the search's seed,
  /// on the search's device.
  void reset(const SearchSetup& setup);

  /// Softmax of the architecture weights over the kept candidates of each
  /// edge, 0 for discarded ones, [edges, candidates] on the search's device.
  /// Differentiable with respect to `alpha()`.
  torch::Tensor mixing_weights(const Mask& mask);

  /// The architecture weights, for the searcher's architecture optimizer.
  std::vector<torch::Tensor> architecture_parameters();

  /// Adam over the architecture weights with the options' settings.
  std::unique_ptr<torch::optim::Optimizer> make_architecture_optimizer();

  /// The mixing weights under the context's mask, as float64 on the CPU.
  torch::Tensor importance(MeasureContext& context);

  /// The architecture weights (alpha) [edges, candidates]; undefined before
  /// the first `reset()`.
  const torch::Tensor& alpha() const { return alpha_; }

 private:
  void require_alpha(const Mask& mask) const;

  Options options_;
  torch::Tensor alpha_;
  /// Kept-candidate flags of `cached_mask_` on the alpha's device.
  torch::Tensor kept_;
  Mask cached_mask_;
};

static_assert(check_metric<AlphaMetric>());
static_assert(is_bilevel_metric<AlphaMetric>());

inline AlphaMetric::AlphaMetric(Options options) : options_(options) {
  if (!(options.learning_rate() >= 0.0)) {
    throw InvalidArgument(fmt::format(
        "alpha learning rate {} is negative; use for example 3e-4",
        options.learning_rate()));
  }
  if (!(options.beta1() >= 0.0 && options.beta1() < 1.0) ||
      !(options.beta2() >= 0.0 && options.beta2() < 1.0)) {
    throw InvalidArgument(fmt::format(
        "alpha Adam betas ({}, {}) must lie in [0, 1); use for example "
        "(0.5, 0.999)",
        options.beta1(), options.beta2()));
  }
  if (!(options.weight_decay() >= 0.0)) {
    throw InvalidArgument(fmt::format(
        "alpha weight decay {} is negative; use 0 or more, for example 1e-3",
        options.weight_decay()));
  }
  if (!(options.init_scale() >= 0.0)) {
    throw InvalidArgument(fmt::format(
        "alpha initial scale {} is negative; use for example 1e-3",
        options.init_scale()));
  }
}

inline void AlphaMetric::reset(const SearchSetup& setup) {
  // A private CPU generator keeps the draw independent of the device and
  // leaves LibTorch's global generator, which initializes the supernet,
  // untouched.
  auto generator =
      at::detail::createCPUGenerator(setup.seed ^ 0xa1f4a5eedULL);
  auto draw = torch::randn({setup.num_edges, setup.num_candidates}, generator,
                           torch::TensorOptions().dtype(torch::kFloat32));
  alpha_ = (draw * options_.init_scale()).to(setup.device);
  alpha_.set_requires_grad(true);
  kept_ = torch::Tensor();
  cached_mask_ = Mask();
}

inline void AlphaMetric::require_alpha(const Mask& mask) const {
  if (!alpha_.defined()) {
    throw Error(
        "AlphaMetric has no architecture weights; call reset() first (the "
        "searcher calls it at the start of run())");
  }
  if (mask.num_edges() != alpha_.size(0) ||
      mask.num_candidates() != alpha_.size(1)) {
    throw InvalidArgument(fmt::format(
        "mask of {}x{} does not match the {}x{} architecture weights; reset "
        "the metric for this search space",
        mask.num_edges(), mask.num_candidates(), alpha_.size(0),
        alpha_.size(1)));
  }
}

inline torch::Tensor AlphaMetric::mixing_weights(const Mask& mask) {
  require_alpha(mask);

  // The searcher calls this twice per batch with the same mask, so the flags are
  // built once per mask.
  if (!kept_.defined() || !(cached_mask_ == mask)) {
    auto flags = torch::zeros({mask.num_edges(), mask.num_candidates()},
                              torch::kBool);
    auto flag = flags.accessor<bool, 2>();
    for (int64_t e = 0; e < mask.num_edges(); ++e) {
      for (int64_t c = 0; c < mask.num_candidates(); ++c) {
        flag[e][c] = mask.kept(e, c);
      }
    }
    kept_ = flags.to(alpha_.device());
    cached_mask_ = mask;
  }

  auto discarded = kept_.logical_not();
  auto masked = alpha_.masked_fill(
      discarded, -std::numeric_limits<double>::infinity());
  return torch::softmax(masked, 1).masked_fill(discarded, 0.0);
}

inline std::vector<torch::Tensor> AlphaMetric::architecture_parameters() {
  if (!alpha_.defined()) {
    throw Error(
        "AlphaMetric has no architecture weights; call reset() first (the "
        "searcher calls it at the start of run())");
  }
  return {alpha_};
}

inline std::unique_ptr<torch::optim::Optimizer>
AlphaMetric::make_architecture_optimizer() {
  auto adam = torch::optim::AdamOptions(options_.learning_rate())
                  .betas(std::make_tuple(options_.beta1(), options_.beta2()))
                  .weight_decay(options_.weight_decay());
  return std::make_unique<torch::optim::Adam>(architecture_parameters(),
                                              adam);
}

inline torch::Tensor AlphaMetric::importance(MeasureContext& context) {
  torch::NoGradGuard no_grad;
  return mixing_weights(context.mask()).to(torch::kCPU, torch::kFloat64);
}

}  // namespace isdarts
