#pragma once

/// Umbrella header: the searcher with every search space, metric, schedule
/// and comparison-subset rule of the library, the CIFAR-10 reader, the
/// NAS-Bench-201 table, and the evaluation networks with their trainer.

#include "isdarts/benchmark/nb201_table.hpp"
#include "isdarts/data/cifar10.hpp"
#include "isdarts/error.hpp"
#include "isdarts/mask.hpp"
#include "isdarts/metrics/alpha.hpp"
#include "isdarts/metrics/fisher.hpp"
#include "isdarts/metrics/iim.hpp"
#include "isdarts/metrics/metric.hpp"
#include "isdarts/metrics/random.hpp"
#include "isdarts/report.hpp"
#include "isdarts/schedules/linear_shrink.hpp"
#include "isdarts/schedules/one_shot.hpp"
#include "isdarts/search_options.hpp"
#include "isdarts/searcher.hpp"
#include "isdarts/spaces/darts.hpp"
#include "isdarts/spaces/nb201.hpp"
#include "isdarts/subsets/per_edge.hpp"
#include "isdarts/subsets/per_node.hpp"
#include "isdarts/train/darts_network.hpp"
#include "isdarts/train/nb201_network.hpp"
#include "isdarts/train/parameters.hpp"
#include "isdarts/train/trainer.hpp"
#include "isdarts/train/trainer_options.hpp"
#include "isdarts/version.hpp"
