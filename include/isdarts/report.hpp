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
/// report is replaced whole or not at all. Invalid UTF-8 in strings, as in
/// an error message that quotes a foreign file, is written as U+FFFD.
inline void write_json(const nlohmann::json& report,
                       const std::filesystem::path& path) {
  auto temporary = path;
  temporary += ".tmp";
  auto fail = [&](const std::string& reason) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw Error(fmt::format("cannot write the report '{}': {}", path.string(),
                            reason));
  };
  if (std::filesystem::is_directory(path)) {
    fail("it is a folder; pass a file name");
  }
  {
    std::ofstream out(temporary);
    if (!out) fail("check that its folder exists and is writable");
    out << report.dump(2, ' ', false,
                       nlohmann::json::error_handler_t::replace)
        << "\n";
    out.flush();
    if (!out) fail("writing failed; check the free space");
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) fail(error.message());
}

/// Raises InvalidArgument unless a file can be created or replaced at
/// `path`: its folder exists and is writable, and `path` is not a folder.
/// Programs call it before a long run, so that a typo in an output path does
/// not lose the result at the end. `option` names the option in the message.
inline void check_output_path(const std::filesystem::path& path,
                              const std::string& option) {
  if (path.empty()) return;
  if (std::filesystem::is_directory(path)) {
    throw InvalidArgument(fmt::format(
        "{} '{}' is a folder; pass a file name", option, path.string()));
  }
  auto folder = path.parent_path();
  if (folder.empty()) folder = ".";
  if (!std::filesystem::is_directory(folder)) {
    throw InvalidArgument(fmt::format(
        "{} '{}': the folder '{}' does not exist; create it first", option,
        path.string(), folder.string()));
  }
  // Creating and removing a probe file is the one reliable test of write
  // access (permissions, read-only mounts, ACLs).
  auto probe = path;
  probe += ".probe";
  {
    std::ofstream out(probe);
    if (!out) {
      throw InvalidArgument(fmt::format(
          "{} '{}': cannot create files in '{}'; choose a writable folder",
          option, path.string(), folder.string()));
    }
  }
  std::error_code ignored;
  std::filesystem::remove(probe, ignored);
}

}  // namespace isdarts
