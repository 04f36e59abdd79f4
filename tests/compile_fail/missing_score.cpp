// An OutputMetric whose `score` is misnamed. Compiling this file must fail
// with the static_assert of OutputMetric that names `score`; the ctest test
// policy-missing-score-fails checks the compiler's message. With
// ISDARTS_COMPLETE_POLICY defined the metric is complete and the file
// compiles.

#include <torch/torch.h>

#include "isdarts/isdarts.hpp"

namespace {

/// L2 norm of each image's output.
class NormMetric : public isdarts::OutputMetric<NormMetric> {
 public:
  static constexpr const char* name = "norm";

#ifdef ISDARTS_COMPLETE_POLICY
  torch::Tensor score(const torch::Tensor& output) const {
#else
  torch::Tensor scores(const torch::Tensor& output) const {
#endif
    return output.flatten(1).square().sum(1).sqrt();
  }
};

}  // namespace

isdarts::NB201Space::Genotype search_with_norm(
    const isdarts::data::Cifar10& train) {
  isdarts::Searcher<isdarts::NB201Space, NormMetric> searcher;
  return searcher.run(train).genotype;
}
