#pragma once

// Option checks shared by the example programs. CLI11's NonNegativeNumber and
// PositiveNumber print the largest double in their messages, so these name
// the rule in words.

#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>

namespace isdarts_cli {

/// Accepts a whole number of 0 or more; rejects a leading minus sign, which
/// CLI11 would wrap around for unsigned options.
inline const CLI::Validator kNonNegative(
    [](std::string& value) -> std::string {
      auto start = value.find_first_not_of(" \t");
      if (start != std::string::npos && value[start] == '-') {
        return "value " + value + " is negative; use 0 or more";
      }
      return {};
    },
    "NONNEGATIVE");

/// Accepts a number greater than 0 and below 1e30, which float holds.
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

}  // namespace isdarts_cli
