#pragma once

/// The IS-DARTS importance measure (IIM) of He et al., "IS-DARTS: Stabilizing
/// DARTS through Precise Measurement on Candidate Importance" (AAAI 2024).
///
/// For an output feature map [B, C, H, W], the importance of one image is the
/// variance across the C channels at each pixel, summed over the H*W pixels
/// and divided by 3. The variance is the population variance (divided by C).
/// Larger values mark more important candidates; `none` scores 0.

#include <torch/torch.h>

#include "isdarts/metrics/metric.hpp"

namespace isdarts {

class IIMMetric : public OutputMetric<IIMMetric> {
 public:
  static constexpr const char* name = "iim";
  static constexpr bool larger_is_more_important = true;

  /// Importance of each image in `output` [B, C, H, W], as a tensor [B].
  torch::Tensor score(const torch::Tensor& output) const {
    auto variance = output.to(torch::kFloat32).var(1, /*unbiased=*/false);
    return variance.sum({1, 2}) / 3.0;
  }
};

static_assert(check_metric<IIMMetric>());

}  // namespace isdarts
