#pragma once

/// Linear shrinking, as in IS-DARTS: with shrink rate r, step z keeps
/// |S| - z*r*(|S| - C) candidates of a comparison subset S in which C
/// survive, rounded to the nearest count, so exactly C remain after the last
/// of ceil(1/r) steps. The steps end the search, one every `interval` epochs:
/// with 30 epochs, r = 0.25 and an interval of 2 they follow epochs 22, 24,
/// 26 and 28, and the last `interval` epochs train the final subnet.

#include <cmath>
#include <cstdint>

#include <fmt/format.h>
#include <torch/torch.h>

#include "isdarts/error.hpp"
#include "isdarts/schedules/schedule.hpp"

namespace isdarts {

struct LinearShrinkOptions {
  /// Fraction r of the removable candidates (|S| - C) discarded per step, in
  /// (0, 1]. Default 0.25 (NAS-Bench-201); the DARTS space uses 1/7.
  TORCH_ARG(double, shrink_rate) = 0.25;
  /// Epochs between two shrink steps, and after the last one. Default 2.
  TORCH_ARG(int64_t, interval) = 2;
};

class LinearShrink {
 public:
  static constexpr const char* name = "linear";
  using Options = LinearShrinkOptions;
  /// Smallest shrink rate accepted: one million steps.
  static constexpr double kMinShrinkRate = 1e-6;

  explicit LinearShrink(Options options = {}) : options_(options) {
    if (!(options.shrink_rate() > 0.0 && options.shrink_rate() <= 1.0)) {
      throw InvalidArgument(fmt::format(
          "shrink rate {} is outside (0, 1]; use for example 0.25",
          options.shrink_rate()));
    }
    // ceil(1/r) steps must fit in int64_t and in any number of epochs that
    // a search can train.
    if (options.shrink_rate() < kMinShrinkRate) {
      throw InvalidArgument(fmt::format(
          "shrink rate {} would need more than {} shrink steps; use a rate of "
          "at least {}, for example 0.25",
          options.shrink_rate(), 1.0 / kMinShrinkRate, kMinShrinkRate));
    }
    if (options.interval() < 1) {
      throw InvalidArgument(fmt::format(
          "shrink interval {} epochs is invalid; use 1 or more",
          options.interval()));
    }
  }

  const Options& options() const { return options_; }

  /// ceil(1/r), with a tolerance so that r = 1/7 gives 7 steps.
  int64_t num_steps() const {
    return static_cast<int64_t>(
        std::ceil(1.0 / options_.shrink_rate() - 1e-9));
  }

  int64_t step_epoch(int64_t step, int64_t epochs) const {
    return epochs - (num_steps() - step + 1) * options_.interval();
  }

  int64_t kept(int64_t step, int64_t size, int64_t survivors) const {
    if (step >= num_steps()) return survivors;
    double removable = static_cast<double>(size - survivors);
    double fraction = 1.0 - static_cast<double>(step) * options_.shrink_rate();
    auto count = survivors + static_cast<int64_t>(std::llround(
                                 removable * fraction));
    return count < survivors ? survivors : count;
  }

  void validate(int64_t epochs, int64_t max_size, int64_t survivors) const {
    if (survivors > max_size) {
      throw InvalidArgument(fmt::format(
          "{} survivors per comparison subset exceed the subset's {} "
          "candidates; keep at most {}",
          survivors, max_size, max_size));
    }
    if (step_epoch(1, epochs) < 1) {
      throw InvalidArgument(fmt::format(
          "{} shrink steps (shrink rate {}) every {} epochs need more than {} "
          "epochs; raise the epochs to at least {}{}{}",
          num_steps(), options_.shrink_rate(), options_.interval(), epochs,
          num_steps() * options_.interval() + 1,
          options_.interval() > 1 ? ", lower the interval" : "",
          " or raise the shrink rate"));
    }
  }

 private:
  Options options_;
};

static_assert(check_schedule<LinearShrink>());

}  // namespace isdarts
