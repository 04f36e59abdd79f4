#pragma once

/// Importance-metric policies.
///
/// An importance metric provides:
///
///     static constexpr const char* name;  // "iim", used in logs and reports
///     torch::Tensor importance(MeasureContext& context);
///
/// `importance` returns a float64 tensor [edges, candidates] on the CPU; the
/// entries of discarded candidates are ignored. The searcher calls it before
/// each shrink step. A metric may also provide:
///
///     static constexpr bool larger_is_more_important;  // default true
///     void reset(const SearchSetup& setup);  // once, before training
///     torch::Tensor mixing_weights(const Mask& mask);
///     std::vector<torch::Tensor> architecture_parameters();
///     std::unique_ptr<torch::optim::Optimizer> make_architecture_optimizer();
///
/// A metric with `mixing_weights` owns trainable state. The supernet weighs
/// each kept candidate by those weights ([edges, candidates]). The searcher
/// trains `architecture_parameters()` with the optimizer from
/// `make_architecture_optimizer()` on one half of the training images, and
/// the network weights on the other half (first-order bi-level
/// optimization). A metric without it costs nothing during training.
///
/// Metrics that score each candidate's output feature map derive from
/// `OutputMetric<Derived>` and provide only
///
///     torch::Tensor score(const torch::Tensor& output) const;  // [B]
///
/// for an output [B, C, H, W]; `OutputMetric` averages the score over the
/// measured images and over the cells that share each edge.

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "isdarts/mask.hpp"

namespace isdarts {

/// Facts about the search that a metric receives when it starts.
struct SearchSetup {
  int64_t num_edges = 0;
  int64_t num_candidates = 0;
  std::vector<std::string> candidate_names;
  uint64_t seed = 0;
  torch::Device device = torch::kCPU;
};

/// Access to the supernet for one importance measurement.
class MeasureContext {
 public:
  using OutputVisitor = std::function<void(int64_t edge, int64_t candidate,
                                           const torch::Tensor& output)>;
  using OutputRunner = std::function<void(const OutputVisitor&)>;

  MeasureContext(const Mask& mask, int64_t step, uint64_t seed,
                 OutputRunner runner)
      : mask_(mask), step_(step), seed_(seed), runner_(std::move(runner)) {}

  const Mask& mask() const { return mask_; }
  /// Shrink step being prepared, from 1.
  int64_t step() const { return step_; }
  /// The search's seed.
  uint64_t seed() const { return seed_; }

  /// Runs the supernet in evaluation mode with gradients off on the measured
  /// images and calls `visit` with every kept candidate's output in every
  /// cell. The output of `none` is a zero feature map.
  void for_each_output(const OutputVisitor& visit) const { runner_(visit); }

 private:
  const Mask& mask_;
  int64_t step_;
  uint64_t seed_;
  OutputRunner runner_;
};

namespace detail {

template <class T, class = void>
struct has_score : std::false_type {};
template <class T>
struct has_score<T, std::void_t<decltype(std::declval<const T&>().score(
                        std::declval<const torch::Tensor&>()))>>
    : std::true_type {};

}  // namespace detail

/// Base for metrics that score output feature maps; see the file comment.
template <class Derived>
class OutputMetric {
 public:
  torch::Tensor importance(MeasureContext& context) {
    // Checked here and not in the class body, where Derived is incomplete.
    static_assert(detail::has_score<Derived>::value,
                  "output metric is missing 'torch::Tensor score(const "
                  "torch::Tensor& output) const'");
    const auto& mask = context.mask();
    auto sums = torch::zeros({mask.num_edges(), mask.num_candidates()},
                             torch::kFloat64);
    auto counts = torch::zeros_like(sums);
    auto sum = sums.accessor<double, 2>();
    auto count = counts.accessor<double, 2>();
    const auto& self = static_cast<const Derived&>(*this);

    context.for_each_output([&](int64_t edge, int64_t candidate,
                                const torch::Tensor& output) {
      auto scores = self.score(output).to(torch::kCPU, torch::kFloat64);
      sum[edge][candidate] += scores.sum().template item<double>();
      count[edge][candidate] += static_cast<double>(scores.numel());
    });

    auto result = sums / counts;
    return result.masked_fill(counts == 0,
                              std::numeric_limits<double>::quiet_NaN());
  }
};

namespace detail {

template <class T, class = void>
struct has_metric_name : std::false_type {};
template <class T>
struct has_metric_name<T, std::void_t<decltype(T::name)>> : std::true_type {};

template <class T, class = void>
struct has_importance : std::false_type {};
template <class T>
struct has_importance<T, std::void_t<decltype(std::declval<T&>().importance(
                             std::declval<MeasureContext&>()))>>
    : std::is_same<decltype(std::declval<T&>().importance(
                       std::declval<MeasureContext&>())),
                   torch::Tensor> {};

template <class T, class = void>
struct metric_order : std::true_type {};
template <class T>
struct metric_order<T, std::void_t<decltype(T::larger_is_more_important)>>
    : std::integral_constant<bool, T::larger_is_more_important> {};

template <class T, class = void>
struct has_reset : std::false_type {};
template <class T>
struct has_reset<T, std::void_t<decltype(std::declval<T&>().reset(
                        std::declval<const SearchSetup&>()))>>
    : std::true_type {};

template <class T, class = void>
struct has_mixing_weights : std::false_type {};
template <class T>
struct has_mixing_weights<
    T, std::void_t<decltype(std::declval<T&>().mixing_weights(
                       std::declval<const Mask&>())),
                   decltype(std::declval<T&>().architecture_parameters()),
                   decltype(std::declval<T&>()
                                .make_architecture_optimizer())>>
    : std::true_type {};

template <class T, class = void>
struct has_any_mixing_member : std::false_type {};
template <class T>
struct has_any_mixing_member<
    T, std::void_t<decltype(&T::mixing_weights)>> : std::true_type {};
template <class T, class = void>
struct has_any_architecture_member : std::false_type {};
template <class T>
struct has_any_architecture_member<
    T, std::void_t<decltype(&T::architecture_parameters)>>
    : std::true_type {};
template <class T, class = void>
struct has_any_optimizer_member : std::false_type {};
template <class T>
struct has_any_optimizer_member<
    T, std::void_t<decltype(&T::make_architecture_optimizer)>>
    : std::true_type {};

}  // namespace detail

/// Whether a metric's larger values mark more important candidates.
template <class Metric>
constexpr bool larger_is_more_important() {
  return detail::metric_order<Metric>::value;
}

/// Whether a metric owns architecture parameters trained bi-level.
template <class Metric>
constexpr bool is_bilevel_metric() {
  return detail::has_mixing_weights<Metric>::value;
}

/// Compile-time check that `Metric` is an importance metric.
template <class Metric>
constexpr bool check_metric() {
  static_assert(detail::has_metric_name<Metric>::value,
                "importance metric is missing "
                "'static constexpr const char* name'");
  static_assert(detail::has_importance<Metric>::value,
                "importance metric is missing 'torch::Tensor "
                "importance(MeasureContext&)'; derive from "
                "OutputMetric<Derived> and define 'torch::Tensor "
                "score(const torch::Tensor& output) const' to score feature "
                "maps");
  // A bi-level metric needs all three members; with only some of them the
  // searcher would train it as a metric without state.
  constexpr bool any_bilevel_member =
      detail::has_any_mixing_member<Metric>::value ||
      detail::has_any_architecture_member<Metric>::value ||
      detail::has_any_optimizer_member<Metric>::value;
  static_assert(!any_bilevel_member || detail::has_mixing_weights<Metric>::value,
                "bi-level importance metric needs all of 'torch::Tensor "
                "mixing_weights(const Mask&)', 'std::vector<torch::Tensor> "
                "architecture_parameters()' and "
                "'std::unique_ptr<torch::optim::Optimizer> "
                "make_architecture_optimizer()'");
  return true;
}

}  // namespace isdarts
