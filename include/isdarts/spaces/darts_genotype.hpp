#pragma once

/// The DARTS genotype and its string form, the repr of the `Genotype`
/// namedtuple in the DARTS code (Liu, Simonyan and Yang, "DARTS:
/// Differentiable Architecture Search", ICLR 2019):
///
///     Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ...],
///              normal_concat=[2, 3, 4, 5], reduce=[...],
///              reduce_concat=[2, 3, 4, 5])
///
/// Nodes 0 and 1 of a cell are its inputs and nodes 2 to 5 its intermediate
/// nodes. Each list contains two (operation, input node) pairs per intermediate
/// node, node 2 first, and the concat lists name the nodes whose outputs the
/// cell concatenates.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "isdarts/error.hpp"

namespace isdarts {

/// Column of each candidate operation in the DARTS mask, in the order of the
/// DARTS code's PRIMITIVES list.
enum DartsPrimitive : int64_t {
  kDartsNone = 0,
  kDartsMaxPool3x3 = 1,
  kDartsAvgPool3x3 = 2,
  kDartsSkipConnect = 3,
  kDartsSepConv3x3 = 4,
  kDartsSepConv5x5 = 5,
  kDartsDilConv3x3 = 6,
  kDartsDilConv5x5 = 7,
};

/// Intermediate nodes of a DARTS cell (nodes 2 to 5).
inline constexpr int64_t kDartsSteps = 4;

/// Candidate operations of the DARTS cell in the order of `DartsPrimitive`.
inline const std::vector<std::string>& darts_operations() {
  static const std::vector<std::string> names = {
      "none",         "max_pool_3x3", "avg_pool_3x3", "skip_connect",
      "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"};
  return names;
}

/// Column of an operation name in `darts_operations()`, or -1.
inline int64_t darts_operation_index(const std::string& name) {
  const auto& names = darts_operations();
  auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int64_t>(it - names.begin());
}

/// A DARTS cell pair: the normal cell and the reduction cell.
struct DartsGenotype {
  /// (operation, input node) pairs, two per intermediate node.
  using Cell = std::vector<std::pair<std::string, int64_t>>;

  Cell normal;
  std::vector<int64_t> normal_concat = {2, 3, 4, 5};
  Cell reduce;
  std::vector<int64_t> reduce_concat = {2, 3, 4, 5};

  bool operator==(const DartsGenotype& other) const {
    return normal == other.normal && normal_concat == other.normal_concat &&
           reduce == other.reduce && reduce_concat == other.reduce_concat;
  }
  bool operator!=(const DartsGenotype& other) const {
    return !(*this == other);
  }
};

/// Raises InvalidArgument unless `genotype` has two pairs of a known
/// operation per intermediate node, each reading an earlier node, and concat
/// lists of distinct nodes 0 to 5.
inline void validate_darts_genotype(const DartsGenotype& genotype) {
  auto check_cell = [](const DartsGenotype::Cell& cell, const char* field) {
    if (cell.size() != 2 * kDartsSteps) {
      throw InvalidArgument(fmt::format(
          "invalid DARTS genotype: '{}' has {} (operation, input) pairs; "
          "give {}, two for each of the nodes 2 to 5",
          field, cell.size(), 2 * kDartsSteps));
    }
    for (std::size_t i = 0; i < cell.size(); ++i) {
      const auto& [operation, input] = cell[i];
      auto node = static_cast<int64_t>(2 + i / 2);
      if (darts_operation_index(operation) < 0) {
        throw InvalidArgument(fmt::format(
            "invalid DARTS genotype: unknown operation '{}' in '{}'; use one "
            "of {}",
            operation, field, fmt::join(darts_operations(), ", ")));
      }
      if (input < 0 || input >= node) {
        throw InvalidArgument(fmt::format(
            "invalid DARTS genotype: ('{}', {}) in '{}' feeds node {}, which "
            "can read only nodes 0 to {}",
            operation, input, field, node, node - 1));
      }
    }
  };
  auto check_concat = [](const std::vector<int64_t>& concat,
                         const char* field) {
    if (concat.empty()) {
      throw InvalidArgument(fmt::format(
          "invalid DARTS genotype: '{}' is empty; use [2, 3, 4, 5]", field));
    }
    for (std::size_t i = 0; i < concat.size(); ++i) {
      if (concat[i] < 0 || concat[i] > 1 + kDartsSteps) {
        throw InvalidArgument(fmt::format(
            "invalid DARTS genotype: '{}' names node {}; the nodes are 0 to "
            "{}",
            field, concat[i], 1 + kDartsSteps));
      }
      if (std::count(concat.begin(), concat.end(), concat[i]) > 1) {
        throw InvalidArgument(fmt::format(
            "invalid DARTS genotype: '{}' names node {} twice", field,
            concat[i]));
      }
    }
  };
  check_cell(genotype.normal, "normal");
  check_concat(genotype.normal_concat, "normal_concat");
  check_cell(genotype.reduce, "reduce");
  check_concat(genotype.reduce_concat, "reduce_concat");
}

/// Formats a genotype as the repr of the DARTS code's `Genotype` namedtuple.
inline std::string format_darts_genotype(const DartsGenotype& genotype) {
  auto cell = [](const DartsGenotype::Cell& pairs) {
    std::vector<std::string> items;
    for (const auto& [operation, input] : pairs) {
      items.push_back(fmt::format("('{}', {})", operation, input));
    }
    return fmt::format("[{}]", fmt::join(items, ", "));
  };
  return fmt::format(
      "Genotype(normal={}, normal_concat=[{}], reduce={}, "
      "reduce_concat=[{}])",
      cell(genotype.normal), fmt::join(genotype.normal_concat, ", "),
      cell(genotype.reduce), fmt::join(genotype.reduce_concat, ", "));
}

namespace detail {

/// Recursive-descent parser of the `Genotype(...)` repr. Every error quotes
/// the text around the position where parsing failed.
class DartsGenotypeParser {
 public:
  explicit DartsGenotypeParser(const std::string& text) : text_(text) {}

  DartsGenotype parse() {
    DartsGenotype genotype;
    bool seen[4] = {false, false, false, false};
    expect_word("Genotype");
    expect('(');
    for (int field = 0; field < 4; ++field) {
      if (field > 0) expect(',');
      auto begin = skip_space();
      auto name = read_identifier();
      expect('=');
      int index = field_index(name, begin);
      if (seen[index]) fail(begin, fmt::format("field '{}' repeats", name));
      seen[index] = true;
      switch (index) {
        case 0:
          genotype.normal = parse_cell();
          break;
        case 1:
          genotype.normal_concat = parse_concat();
          break;
        case 2:
          genotype.reduce = parse_cell();
          break;
        default:
          genotype.reduce_concat = parse_concat();
          break;
      }
    }
    expect(')');
    if (skip_space() != text_.size()) {
      fail(position_, "unexpected text after the closing ')'");
    }
    validate_darts_genotype(genotype);
    return genotype;
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& problem) const {
    auto begin = at > 20 ? at - 20 : 0;
    auto excerpt = text_.substr(begin, 40);
    throw InvalidArgument(fmt::format(
        "invalid DARTS genotype: {} at character {} near '{}'; write it like "
        "Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, "
        "5], reduce=[...], reduce_concat=[2, 3, 4, 5])",
        problem, at, excerpt));
  }

  std::size_t skip_space() {
    while (position_ < text_.size() &&
           std::isspace(static_cast<unsigned char>(text_[position_]))) {
      ++position_;
    }
    return position_;
  }

  bool peek(char c) {
    skip_space();
    return position_ < text_.size() && text_[position_] == c;
  }

  void expect(char c) {
    if (!peek(c)) fail(position_, fmt::format("expected '{}'", c));
    ++position_;
  }

  std::string read_identifier() {
    skip_space();
    auto begin = position_;
    while (position_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[position_])) ||
            text_[position_] == '_')) {
      ++position_;
    }
    if (begin == position_) fail(begin, "expected a name");
    return text_.substr(begin, position_ - begin);
  }

  void expect_word(const std::string& word) {
    auto begin = skip_space();
    if (read_identifier() != word) {
      fail(begin, fmt::format("expected '{}'", word));
    }
  }

  int field_index(const std::string& name, std::size_t at) const {
    if (name == "normal") return 0;
    if (name == "normal_concat") return 1;
    if (name == "reduce") return 2;
    if (name == "reduce_concat") return 3;
    fail(at, fmt::format("unknown field '{}' (the fields are normal, "
                         "normal_concat, reduce and reduce_concat)",
                         name));
  }

  int64_t read_integer() {
    auto begin = skip_space();
    while (position_ < text_.size() &&
           std::isdigit(static_cast<unsigned char>(text_[position_]))) {
      ++position_;
    }
    if (begin == position_ || position_ - begin > 9) {
      fail(begin, "expected a node number");
    }
    return std::stoll(text_.substr(begin, position_ - begin));
  }

  std::string read_quoted() {
    skip_space();
    auto begin = position_;
    if (position_ >= text_.size() ||
        (text_[position_] != '\'' && text_[position_] != '"')) {
      fail(begin, "expected a quoted operation name");
    }
    char quote = text_[position_++];
    auto end = text_.find(quote, position_);
    if (end == std::string::npos) fail(begin, "unterminated operation name");
    auto name = text_.substr(position_, end - position_);
    position_ = end + 1;
    if (darts_operation_index(name) < 0) {
      fail(begin, fmt::format("unknown operation '{}'; use one of {}", name,
                              fmt::join(darts_operations(), ", ")));
    }
    return name;
  }

  DartsGenotype::Cell parse_cell() {
    DartsGenotype::Cell cell;
    expect('[');
    while (!peek(']')) {
      if (!cell.empty()) expect(',');
      expect('(');
      auto operation = read_quoted();
      expect(',');
      auto input = read_integer();
      expect(')');
      cell.emplace_back(std::move(operation), input);
    }
    expect(']');
    return cell;
  }

  /// Parses a list of node numbers, or `range(begin, end)` as DARTS' own
  /// genotypes.py writes it.
  std::vector<int64_t> parse_concat() {
    std::vector<int64_t> nodes;
    if (peek('[')) {
      expect('[');
      while (!peek(']')) {
        if (!nodes.empty()) expect(',');
        nodes.push_back(read_integer());
      }
      expect(']');
      return nodes;
    }
    auto begin = skip_space();
    if (read_identifier() != "range") {
      fail(begin, "expected a list like [2, 3, 4, 5] or range(2, 6)");
    }
    expect('(');
    auto first = read_integer();
    expect(',');
    auto last = read_integer();
    expect(')');
    if (last > 2 + kDartsSteps) {
      fail(begin, fmt::format("range({}, {}) goes past node {}", first, last,
                              1 + kDartsSteps));
    }
    for (auto node = first; node < last; ++node) nodes.push_back(node);
    return nodes;
  }

  const std::string& text_;
  std::size_t position_ = 0;
};

}  // namespace detail

/// Parses the repr of a DARTS `Genotype`; the concat lists may also be
/// written `range(2, 6)`. Raises InvalidArgument that quotes the offending
/// part for malformed text, an unknown operation, a wrong number of pairs or
/// an input node that does not precede its node.
inline DartsGenotype parse_darts_genotype(const std::string& text) {
  return detail::DartsGenotypeParser(text).parse();
}

/// Returns the JSON form {"normal": [[operation, input], ...],
/// "normal_concat": [...], "reduce": [...], "reduce_concat": [...]}.
inline nlohmann::json darts_genotype_json(const DartsGenotype& genotype) {
  auto cell = [](const DartsGenotype::Cell& pairs) {
    auto list = nlohmann::json::array();
    for (const auto& [operation, input] : pairs) {
      list.push_back({operation, input});
    }
    return list;
  };
  return {{"normal", cell(genotype.normal)},
          {"normal_concat", genotype.normal_concat},
          {"reduce", cell(genotype.reduce)},
          {"reduce_concat", genotype.reduce_concat}};
}

/// DARTS (second order) cell of the DARTS paper, `DARTS_V2` in the DARTS
/// code's genotypes.py.
inline const DartsGenotype& darts_v2_genotype() {
  static const DartsGenotype genotype = parse_darts_genotype(
      "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
      "('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), "
      "('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], "
      "normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
      "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), "
      "('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), "
      "('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])");
  return genotype;
}

}  // namespace isdarts
