#pragma once

/// JSON report of a search.

#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "isdarts/error.hpp"
#include "isdarts/search_options.hpp"
#include "isdarts/version.hpp"

namespace isdarts {

/// Report with the keys `space`, `metric`, `schedule`, `genotype` (the
/// space's JSON form: the benchmark string for NAS-Bench-201),
/// `genotype_string`, `seed`, `options`, `epochs`, `shrink_steps`,
/// `search_seconds`, `threads`, `device` and `versions`. Accuracies in
/// `epochs` are fractions in [0, 1].
template <class Space, class Metric, class Schedule>
nlohmann::json search_report(const SearchResult<Space>& result,
                             const SearchOptions& options) {
  nlohmann::json report;
  report["space"] = Space::name;
  report["metric"] = Metric::name;
  report["schedule"] = Schedule::name;
  report["genotype"] = Space::genotype_json(result.genotype);
  report["genotype_string"] = Space::format_genotype(result.genotype);
  report["seed"] = options.seed();
  report["options"] = {{"epochs", options.epochs()},
                       {"batch_size", options.batch_size()},
                       {"learning_rate", options.learning_rate()},
                       {"min_learning_rate", options.min_learning_rate()},
                       {"momentum", options.momentum()},
                       {"nesterov", options.nesterov()},
                       {"weight_decay", options.weight_decay()},
                       {"grad_clip", options.grad_clip()},
                       {"importance_images", options.importance_images()},
                       {"augment", options.augment()},
                       {"channels_last", options.channels_last()}};

  auto epochs = nlohmann::json::array();
  for (const auto& e : result.epochs) {
    epochs.push_back({{"epoch", e.epoch},
                      {"loss", e.loss},
                      {"train_accuracy", e.train_accuracy},
                      {"learning_rate", e.learning_rate},
                      {"images_per_second", e.images_per_second},
                      {"seconds", e.seconds}});
  }
  report["epochs"] = epochs;

  auto steps = nlohmann::json::array();
  for (const auto& s : result.shrink_steps) {
    auto discarded = nlohmann::json::array();
    for (const auto& d : s.discarded) {
      discarded.push_back({{"subset", d.subset},
                           {"edge", d.edge_label},
                           {"edge_index", d.edge},
                           {"operation", d.operation},
                           {"importance", d.importance}});
    }
    steps.push_back({{"step", s.step},
                     {"epoch", s.epoch},
                     {"measure_seconds", s.measure_seconds},
                     {"kept_after", s.kept_after},
                     {"discarded", discarded}});
  }
  report["shrink_steps"] = steps;
  report["search_seconds"] = result.search_seconds;
  report["threads"] = result.threads;
  report["device"] = result.device;
  report["versions"] = {{"isdarts", version()},
                        {"libtorch", torch_version()}};
  return report;
}

/// Writes `report` to `path` through a temporary file, so that an existing
/// report is replaced whole or not at all.
inline void write_json(const nlohmann::json& report,
                       const std::filesystem::path& path) {
  auto temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary);
    if (!out) {
      throw Error(fmt::format(
          "cannot write '{}'; check that its folder exists and is writable",
          temporary.string()));
    }
    out << report.dump(2) << "\n";
    out.flush();
    if (!out) {
      throw Error(fmt::format("writing '{}' failed; check the free space",
                              temporary.string()));
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    throw Error(fmt::format("cannot rename '{}' to '{}': {}",
                            temporary.string(), path.string(),
                            error.message()));
  }
}

}  // namespace isdarts
