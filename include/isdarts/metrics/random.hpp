#pragma once

/// Random importance, the control of a NAS comparison: every candidate gets
/// a value drawn uniformly from [0, 1), so a shrink step discards random
/// candidates. The draw depends only on the search's seed and the shrink
/// step: a search repeats with its seed, and another seed draws other
/// values. The metric never runs the supernet.

#include <cstdint>
#include <random>

#include <torch/torch.h>

#include "isdarts/metrics/metric.hpp"

namespace isdarts {

class RandomMetric {
 public:
  static constexpr const char* name = "random";
  static constexpr bool larger_is_more_important = true;

  /// Uniform values in [0, 1) for every (edge, candidate), float64 on the
  /// CPU, from a generator seeded with (search seed, shrink step).
  torch::Tensor importance(MeasureContext& context) const {
    const auto& mask = context.mask();
    std::mt19937_64 generator(mix(context.seed(),
                                  static_cast<uint64_t>(context.step())));
    auto values = torch::empty({mask.num_edges(), mask.num_candidates()},
                               torch::kFloat64);
    auto value = values.accessor<double, 2>();
    for (int64_t e = 0; e < mask.num_edges(); ++e) {
      for (int64_t c = 0; c < mask.num_candidates(); ++c) {
        // The top 53 bits as a fraction: the same values with every standard
        // library, unlike std::uniform_real_distribution.
        value[e][c] = static_cast<double>(generator() >> 11) * 0x1.0p-53;
      }
    }
    return values;
  }

 private:
  /// SplitMix64 finalizer over the seed and the step, so that nearby seeds
  /// and steps start far apart in the generator's state.
  static uint64_t mix(uint64_t seed, uint64_t step) {
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (step + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

static_assert(check_metric<RandomMetric>());

}  // namespace isdarts
