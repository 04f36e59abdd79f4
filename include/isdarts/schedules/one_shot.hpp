#pragma once

/// One-shot pruning: a single shrink step after the last training epoch
/// (shrink rate 1) keeps exactly the survivors of each comparison subset,
/// and no epoch trains the subnet it leaves. DARTS derives its cell this way
/// from the architecture weights, and I-DARTS, the ablation of IS-DARTS
/// without shrinking, from IIM: `Searcher<NB201Space, IIMMetric, OneShot>`.

#include <cstdint>

#include <fmt/format.h>

#include "isdarts/error.hpp"
#include "isdarts/schedules/schedule.hpp"

namespace isdarts {

class OneShot {
 public:
  static constexpr const char* name = "oneshot";

  int64_t num_steps() const { return 1; }

  /// The only step follows the last epoch.
  int64_t step_epoch(int64_t /*step*/, int64_t epochs) const { return epochs; }

  int64_t kept(int64_t /*step*/, int64_t /*size*/, int64_t survivors) const {
    return survivors;
  }

  void validate(int64_t epochs, int64_t max_size, int64_t survivors) const {
    if (survivors > max_size) {
      throw InvalidArgument(fmt::format(
          "{} survivors per comparison subset exceed the subset's {} "
          "candidates; keep at most {}",
          survivors, max_size, max_size));
    }
    if (epochs < 1) {
      throw InvalidArgument(fmt::format(
          "one-shot pruning needs at least 1 training epoch, got {}",
          epochs));
    }
  }
};

static_assert(check_schedule<OneShot>());

}  // namespace isdarts
