#pragma once

/// The importance measure as the published IS-DARTS code computes it
/// (`iim_hook` in `shrink_metric.py` of the authors' repository), next to
/// `IIMMetric`, which follows the formula of the paper (He et al., "IS-DARTS:
/// Stabilizing DARTS through Precise Measurement on Candidate Importance",
/// AAAI 2024).
///
/// For an output feature map [B, C, H, W], let mu and sigma be the mean and
/// the sample standard deviation (divided by C - 1) across the C channels at
/// each pixel. Every output element x scores 3 (x - mu)^2 / sigma^6, and an
/// image scores the mean over its C*H*W elements. An undefined value (0/0,
/// as for `none`, whose output is all zeros, or for C = 1) counts as
/// +infinity. The candidate with the largest value is the least important,
/// so `none` leaves first.
///
/// The two formulas rank candidates differently. On small CPU-sized
/// NAS-Bench-201 searches the paper's formula tends to keep nor_conv_1x1 and
/// this one nor_conv_3x3; docs/results.md lists the measured genotypes.

#include <limits>

#include <torch/torch.h>

#include "isdarts/metrics/metric.hpp"

namespace isdarts {

class FisherMetric : public OutputMetric<FisherMetric> {
 public:
  static constexpr const char* name = "fisher";
  static constexpr bool larger_is_more_important = false;

  /// Value of each image in `output` [B, C, H, W], as a float64 tensor [B].
  torch::Tensor score(const torch::Tensor& output) const {
    // float64, because sigma^6 of a small sigma underflows in float32.
    auto x = output.to(torch::kFloat64);
    auto centered = x - x.mean(1, /*keepdim=*/true);
    auto squared = centered.square();
    auto channels = static_cast<double>(x.size(1));
    auto variance = squared.sum(1, /*keepdim=*/true) / (channels - 1.0);

    auto value = 3.0 * squared / variance.pow(3);
    value = value.masked_fill(value.isnan(),
                              std::numeric_limits<double>::infinity());
    return value.mean({1, 2, 3});
  }
};

static_assert(check_metric<FisherMetric>());

}  // namespace isdarts
