#pragma once

// Command-line pieces shared by the example programs: option checks, data
// locations from environment variables, the search presets, and the
// mapping of errors to exit codes (2 for invalid input, 1 for run-time
// failures).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <torch/torch.h>

#include "isdarts/error.hpp"

namespace isdarts_cli {

/// Check of a whole number of 0 or more. It rejects a leading minus sign,
/// which CLI11 would wrap around for unsigned options. CLI11's own
/// NonNegativeNumber prints the largest double in its message.
inline const CLI::Validator kNonNegative(
    [](std::string& value) -> std::string {
      auto start = value.find_first_not_of(" \t");
      if (start != std::string::npos && value[start] == '-') {
        return "value " + value + " is negative; use 0 or more";
      }
      return {};
    },
    "NONNEGATIVE");

/// Check of a number greater than 0 and below 1e30, which float holds.
inline const CLI::Validator kPositive(
    [](std::string& value) -> std::string {
      char* end = nullptr;
      double number = std::strtod(value.c_str(), &end);
      if (end == value.c_str() || *end != '\0' || !(number > 0.0) ||
          !(number < 1e30)) {
        return "value " + value + " is not a positive number below 1e30";
      }
      return {};
    },
    "POSITIVE");

/// Returns `value`, or the environment variable `variable` when `value` is
/// empty (an empty string when that is unset too).
inline std::string value_or_env(const std::string& value,
                                const char* variable) {
  if (!value.empty()) return value;
  const char* from_env = std::getenv(variable);
  return from_env != nullptr ? std::string(from_env) : std::string();
}

/// Raises InvalidArgument for --device cuda when LibTorch finds no CUDA
/// device, before any data is loaded.
inline void check_device(const std::string& device) {
  if (device == "cuda" && !torch::cuda::is_available()) {
    throw isdarts::InvalidArgument(
        "--device cuda was given, but LibTorch finds no CUDA device; use "
        "--device cpu, or a CUDA build of LibTorch on a machine with a GPU");
  }
}

/// Search settings that a preset fixes.
struct SearchPreset {
  int64_t epochs = 30;
  int64_t channels = 16;
  int64_t cells = 5;
  int64_t batch_size = 64;
  int64_t train_images = 0;
  double shrink_rate = 0.25;
  int64_t shrink_interval = 2;
  int64_t iim_samples = 200;
};

/// Returns the preset of a space ("nb201" or "darts"): "paper" is the
/// published configuration, "quick" a small search sized for a 2-core
/// machine.
inline SearchPreset search_preset(const std::string& space,
                                  const std::string& preset) {
  SearchPreset values;
  if (space == "darts") {
    values.epochs = 50;
    values.channels = 16;
    values.cells = 8;
    values.shrink_rate = 1.0 / 7.0;
    values.shrink_interval = 3;
    values.iim_samples = 600;
    if (preset == "quick") {
      values.epochs = 8;
      values.channels = 8;
      values.cells = 5;
      values.train_images = 2000;
      values.shrink_interval = 1;
      values.iim_samples = 200;
    }
  } else if (preset == "quick") {
    values.channels = 8;
    values.cells = 1;
    values.train_images = 10000;
    values.epochs = 10;
    values.shrink_interval = 1;
  }
  return values;
}

/// Parses the command line with `parse`, then runs `run`, and returns the
/// program's exit code: `run`'s result, 2 for invalid options or input
/// (CLI11 parse errors, isdarts::InvalidArgument), 1 for any other
/// exception. Each error is printed as one line prefixed with the app's
/// name.
template <class Parse, class Run>
int run_program(CLI::App& app, Parse&& parse, Run&& run) {
  const auto& program = app.get_name();
  try {
    parse();
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "{}: {}; run with --help\n", program, e.what());
    return 2;
  } catch (const isdarts::InvalidArgument& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return 2;
  }

  try {
    return run();
  } catch (const isdarts::InvalidArgument& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return 1;
  }
}

}  // namespace isdarts_cli
