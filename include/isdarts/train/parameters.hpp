#pragma once

/// Parameter counts in the DARTS convention.

#include <cstdint>

#include <torch/torch.h>

namespace isdarts {

/// Number of parameters of `module` whose name does not contain
/// "auxiliary", like `count_parameters_in_MB` in the DARTS code's utils.py,
/// which reports this count divided by 10^6.
inline int64_t count_parameters(const torch::nn::Module& module) {
  int64_t count = 0;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    if (item.key().find("auxiliary") != std::string::npos) continue;
    count += item.value().numel();
  }
  return count;
}

}  // namespace isdarts
