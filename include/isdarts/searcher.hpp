#pragma once

/// The IS-DARTS searcher.
///
///     Searcher<Space, Metric, Schedule, Subsets>
///
/// - `Space`: the search space and its supernet (spaces/space.hpp), default
///   `NB201Space`.
/// - `Metric`: the importance metric that ranks candidates
///   (metrics/metric.hpp), default `IIMMetric`.
/// - `Schedule`: when and how far each comparison subset shrinks
///   (schedules/schedule.hpp), default `LinearShrink`.
/// - `Subsets`: the comparison-subset rule (subsets/comparison_subset.hpp),
///   default `Space::DefaultSubsets`.
///
/// `run()` trains the supernet's weights on the training images. After the
/// epochs that the schedule names it measures importance and discards the
/// least important candidates of each comparison subset; the search ends with
/// the genotype that the mask leaves.

#include <cstdint>
#include <utility>

#include "isdarts/data/cifar10.hpp"
#include "isdarts/metrics/iim.hpp"
#include "isdarts/metrics/metric.hpp"
#include "isdarts/schedules/linear_shrink.hpp"
#include "isdarts/schedules/schedule.hpp"
#include "isdarts/search_options.hpp"
#include "isdarts/spaces/nb201.hpp"
#include "isdarts/spaces/space.hpp"
#include "isdarts/subsets/comparison_subset.hpp"

namespace isdarts {

template <class Space = NB201Space, class Metric = IIMMetric,
          class Schedule = LinearShrink,
          class Subsets = typename Space::DefaultSubsets>
class Searcher {
  static_assert(check_space<Space>());
  static_assert(check_metric<Metric>());
  static_assert(check_schedule<Schedule>());
  static_assert(check_subset_rule<Subsets>());

 public:
  using Result = SearchResult<Space>;

  explicit Searcher(SearchOptions options = {}, Space space = Space(),
                    Metric metric = Metric(), Schedule schedule = Schedule(),
                    Subsets subsets = Subsets())
      : options_(std::move(options)),
        space_(std::move(space)),
        metric_(std::move(metric)),
        schedule_(std::move(schedule)),
        subsets_(std::move(subsets)) {}

  /// Searches on `train` and returns the genotype with the search's records.
  /// Raises InvalidArgument for options that cannot run together and Error
  /// for failures during the search.
  Result run(const data::Cifar10& train);

  /// The supernet of the last `run()`, with its final mask.
  typename Space::Supernet supernet() const { return supernet_; }

  SearchOptions& options() { return options_; }
  const Space& space() const { return space_; }
  Metric& metric() { return metric_; }
  Schedule& schedule() { return schedule_; }
  Subsets& subsets() { return subsets_; }

 private:
  SearchOptions options_;
  Space space_;
  Metric metric_;
  Schedule schedule_;
  Subsets subsets_;
  typename Space::Supernet supernet_{nullptr};
};

}  // namespace isdarts

#include "isdarts/detail/searcher_impl.hpp"
