// A metric without `importance`. Compiling this file must fail with the
// static_assert of isdarts::check_metric() that names the missing member;
// the ctest test policy-missing-importance-fails checks the compiler's
// message. With ISDARTS_COMPLETE_POLICY defined the metric is complete and
// the file compiles, which shows that the missing member is the only error.

#include <torch/torch.h>

#include "isdarts/isdarts.hpp"

namespace {

/// A metric that scores every candidate 0; only its members matter here.
class ActivationMetric {
 public:
  static constexpr const char* name = "activation";

#ifdef ISDARTS_COMPLETE_POLICY
  torch::Tensor importance(isdarts::MeasureContext& context) {
    const auto& mask = context.mask();
    return torch::zeros({mask.num_edges(), mask.num_candidates()},
                        torch::kFloat64);
  }
#endif
};

}  // namespace

isdarts::NB201Space::Genotype search_with_activation(
    const isdarts::data::Cifar10& train) {
  isdarts::Searcher<isdarts::NB201Space, ActivationMetric> searcher;
  return searcher.run(train).genotype;
}
