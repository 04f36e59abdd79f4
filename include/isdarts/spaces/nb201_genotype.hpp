#pragma once

/// The NAS-Bench-201 genotype and its string form, for example
/// `|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|`
/// `nor_conv_3x3~1|nor_conv_3x3~2|` (node 1, node 2, node 3; each entry is
/// `operation~input node`).

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "isdarts/error.hpp"

namespace isdarts {

/// Candidate operations of the NAS-Bench-201 cell in the benchmark's order.
inline const std::vector<std::string>& nb201_operations() {
  static const std::vector<std::string> names = {
      "none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"};
  return names;
}

/// Column of an operation name in `nb201_operations()`, or -1.
inline int64_t nb201_operation_index(const std::string& name) {
  const auto& names = nb201_operations();
  auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int64_t>(it - names.begin());
}

/// A NAS-Bench-201 cell: one operation per edge, edges in the benchmark's
/// order 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2.
struct Nb201Genotype {
  std::array<std::string, 6> operations;

  bool operator==(const Nb201Genotype& other) const {
    return operations == other.operations;
  }
  bool operator!=(const Nb201Genotype& other) const {
    return !(*this == other);
  }
};

/// Formats a genotype as the benchmark's architecture string.
inline std::string format_nb201_genotype(const Nb201Genotype& genotype) {
  std::string result;
  std::size_t edge = 0;
  for (int node = 1; node <= 3; ++node) {
    if (node > 1) result += "+";
    result += "|";
    for (int input = 0; input < node; ++input) {
      result += fmt::format("{}~{}|", genotype.operations[edge++], input);
    }
  }
  return result;
}

/// Parses the benchmark's architecture string. Raises InvalidArgument that
/// quotes the offending part for an unknown operation, a wrong input node,
/// or a wrong number of nodes or entries.
inline Nb201Genotype parse_nb201_genotype(const std::string& text) {
  const std::string example =
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|"
      "nor_conv_3x3~1|skip_connect~2|";
  std::vector<std::string> nodes;
  std::size_t start = 0;
  while (true) {
    auto plus = text.find('+', start);
    nodes.push_back(text.substr(start, plus - start));
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  if (nodes.size() != 3) {
    throw InvalidArgument(fmt::format(
        "invalid NAS-Bench-201 genotype '{}': expected 3 nodes separated by "
        "'+', found {}; write it like {}",
        text, nodes.size(), example));
  }

  Nb201Genotype genotype;
  std::size_t edge = 0;
  for (std::size_t node = 1; node <= 3; ++node) {
    const auto& part = nodes[node - 1];
    if (part.size() < 2 || part.front() != '|' || part.back() != '|') {
      throw InvalidArgument(fmt::format(
          "invalid NAS-Bench-201 genotype '{}': node {} part '{}' must start "
          "and end with '|'",
          text, node, part));
    }
    std::vector<std::string> entries;
    std::size_t pos = 1;
    while (pos < part.size()) {
      auto bar = part.find('|', pos);
      entries.push_back(part.substr(pos, bar - pos));
      pos = bar + 1;
    }
    if (entries.size() != node) {
      throw InvalidArgument(fmt::format(
          "invalid NAS-Bench-201 genotype '{}': node {} part '{}' has {} "
          "entries, expected {} (one per input node)",
          text, node, part, entries.size(), node));
    }
    for (std::size_t input = 0; input < node; ++input) {
      const auto& entry = entries[input];
      auto tilde = entry.find('~');
      if (tilde == std::string::npos) {
        throw InvalidArgument(fmt::format(
            "invalid NAS-Bench-201 genotype '{}': entry '{}' must be "
            "'operation~input'",
            text, entry));
      }
      auto op = entry.substr(0, tilde);
      auto source = entry.substr(tilde + 1);
      if (nb201_operation_index(op) < 0) {
        throw InvalidArgument(fmt::format(
            "invalid NAS-Bench-201 genotype '{}': unknown operation '{}' in "
            "entry '{}'; use one of none, skip_connect, nor_conv_1x1, "
            "nor_conv_3x3, avg_pool_3x3",
            text, op, entry));
      }
      if (source != std::to_string(input)) {
        throw InvalidArgument(fmt::format(
            "invalid NAS-Bench-201 genotype '{}': entry '{}' of node {} must "
            "read from input node {}",
            text, entry, node, input));
      }
      genotype.operations[edge++] = op;
    }
  }
  return genotype;
}

}  // namespace isdarts
