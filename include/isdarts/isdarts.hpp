#pragma once

/// Umbrella header: the searcher with every search space, metric, schedule
/// and comparison-subset rule of the library, the CIFAR-10 reader and the
/// NAS-Bench-201 table.

#include "isdarts/benchmark/nb201_table.hpp"
#include "isdarts/data/cifar10.hpp"
#include "isdarts/error.hpp"
#include "isdarts/mask.hpp"
#include "isdarts/metrics/iim.hpp"
#include "isdarts/metrics/metric.hpp"
#include "isdarts/report.hpp"
#include "isdarts/schedules/linear_shrink.hpp"
#include "isdarts/search_options.hpp"
#include "isdarts/searcher.hpp"
#include "isdarts/spaces/nb201.hpp"
#include "isdarts/subsets/per_edge.hpp"
#include "isdarts/subsets/per_node.hpp"
#include "isdarts/version.hpp"
