#pragma once

/// Reader of the NAS-Bench-201 accuracy table: one CSV row per architecture
/// of the topology search space (15,625 rows), with the mean test accuracy
/// after 200 training epochs on CIFAR-10, CIFAR-100 and ImageNet16-120
/// (Dong and Yang, "NAS-Bench-201: Extending the Scope of Reproducible
/// Neural Architecture Search", ICLR 2020).

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <locale>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "isdarts/error.hpp"

namespace isdarts::benchmark {

/// Test accuracies of one architecture, in percent.
struct Nb201Accuracy {
  /// CIFAR-10 test accuracy, percent.
  double cifar10;
  /// CIFAR-100 test accuracy, percent.
  double cifar100;
  /// ImageNet16-120 test accuracy, percent.
  double imagenet16_120;
};

/// The accuracy table, keyed by the benchmark's architecture string, such as
/// `|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|...|`.
///
/// The CSV has a header line that names the columns, in any order:
/// `CIFAR10TestAccuracy200Epochs`, `CIFAR100TestAccuracy200Epochs`,
/// `ImageNetTestAccuracy200Epochs`, `ArchitectureString`; other columns,
/// such as `UniqueString`, are ignored.
class Nb201Table {
 public:
  /// Reads the table at `csv`. Throws Error when the file is missing or
  /// unreadable, a column is missing, a row is malformed (the message gives
  /// file:line), an accuracy is not a number in [0, 100], an architecture
  /// appears twice, or the table has no rows.
  static Nb201Table load(const std::filesystem::path& csv);

  /// Returns the accuracies of the architecture whose ArchitectureString is
  /// exactly `architecture`, or std::nullopt when there is none. Isomorphic
  /// cells have different strings and different measured accuracies, so
  /// there is no look-up by UniqueString.
  std::optional<Nb201Accuracy> find(const std::string& architecture) const;

  /// Returns the number of architectures.
  std::size_t size() const { return rows_.size(); }

 private:
  std::unordered_map<std::string, Nb201Accuracy> rows_;
};

namespace detail {

inline constexpr std::array<const char*, 4> kNb201Columns{
    "CIFAR10TestAccuracy200Epochs", "CIFAR100TestAccuracy200Epochs",
    "ImageNetTestAccuracy200Epochs", "ArchitectureString"};

// Splits one CSV line into fields. A field may be quoted, with "" standing
// for a quote inside it. Returns false on an unterminated quote.
inline bool split_csv_line(std::string_view line,
                           std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  std::size_t i = 0;
  while (true) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) {
          return false;
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(line[i]);
        ++i;
      }
      const std::size_t comma = line.find(',', i);
      const std::size_t stop =
          comma == std::string_view::npos ? line.size() : comma;
      field.append(line.substr(i, stop - i));
      i = stop;
    } else {
      const std::size_t comma = line.find(',', i);
      const std::size_t stop =
          comma == std::string_view::npos ? line.size() : comma;
      field.assign(line.substr(i, stop - i));
      i = stop;
    }
    fields.push_back(field);
    if (i >= line.size()) {
      return true;
    }
    ++i;  // Skip the comma.
  }
}

inline std::string_view trim(std::string_view text) {
  const char* space = " \t\r";
  const std::size_t first = text.find_first_not_of(space);
  if (first == std::string_view::npos) {
    return {};
  }
  const std::size_t last = text.find_last_not_of(space);
  return text.substr(first, last - first + 1);
}

// Parses a whole field as a decimal number, independent of the C locale.
inline std::optional<double> parse_double(std::string_view text) {
  text = trim(text);
  if (text.empty()) {
    return std::nullopt;
  }
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
  double value = 0.0;
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
#else
  // Fallback for standard libraries without std::from_chars for double,
  // such as libstdc++ before GCC 11.
  std::istringstream stream{std::string(text)};
  stream.imbue(std::locale::classic());
  double value = 0.0;
  stream >> value;
  if (!stream || stream.peek() != std::char_traits<char>::eof()) {
    return std::nullopt;
  }
  return value;
#endif
}

// Returns the start of a row for error messages.
inline std::string row_start(std::string_view line) {
  constexpr std::size_t kShown = 60;
  if (line.size() <= kShown) {
    return std::string(line);
  }
  return std::string(line.substr(0, kShown)) + "...";
}

}  // namespace detail

inline Nb201Table Nb201Table::load(const std::filesystem::path& csv) {
  const std::string name = csv.string();
  const char* how_to_pass =
      "pass the path of the NAS-Bench-201 accuracy table nb201-accuracy.csv, "
      "for example with --benchmark or the ISDARTS_NB201_TABLE environment "
      "variable";

  std::error_code error;
  if (!std::filesystem::is_regular_file(csv, error)) {
    const bool exists = std::filesystem::exists(csv, error);
    throw Error(fmt::format("NAS-Bench-201 table '{}' {}; {}", name,
                            exists ? "is not a regular file" : "not found",
                            how_to_pass));
  }
  std::ifstream stream(csv, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(stream)),
                   std::istreambuf_iterator<char>());
  if (!stream && !stream.eof()) {
    throw Error(fmt::format("failed to read NAS-Bench-201 table '{}'; {}", name,
                            how_to_pass));
  }

  // Header: locate the columns by name. A UTF-8 byte order mark, as some
  // spreadsheet programs write, is skipped.
  std::size_t position = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  std::size_t line_number = 0;
  auto next_line = [&]() -> std::optional<std::string_view> {
    if (position >= text.size()) {
      return std::nullopt;
    }
    std::size_t end = text.find('\n', position);
    if (end == std::string::npos) {
      end = text.size();
    }
    std::string_view line(text.data() + position, end - position);
    position = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    return line;
  };

  const std::optional<std::string_view> header = next_line();
  std::vector<std::string> fields;
  if (!header || detail::trim(*header).empty() ||
      !detail::split_csv_line(*header, fields)) {
    throw Error(fmt::format(
        "NAS-Bench-201 table '{}' has no header line; expected the columns "
        "{}; {}",
        name, fmt::join(detail::kNb201Columns, ", "), how_to_pass));
  }
  const std::size_t column_count = fields.size();
  std::array<std::size_t, 4> columns{};
  for (std::size_t c = 0; c < detail::kNb201Columns.size(); ++c) {
    const auto found =
        std::find_if(fields.begin(), fields.end(), [&](const std::string& f) {
          return detail::trim(f) == detail::kNb201Columns[c];
        });
    if (found == fields.end()) {
      throw Error(fmt::format(
          "{}:1: the header has no column '{}' (found: {}); {}", name,
          detail::kNb201Columns[c], fmt::join(fields, ", "), how_to_pass));
    }
    columns[c] = static_cast<std::size_t>(found - fields.begin());
  }

  // Rows. Blank lines are skipped.
  Nb201Table table;
  table.rows_.reserve(
      static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')));
  std::unordered_map<std::string, std::size_t> first_line;
  while (const std::optional<std::string_view> line = next_line()) {
    if (detail::trim(*line).empty()) {
      continue;
    }
    const std::string where = fmt::format("{}:{}", name, line_number);
    const std::string start = detail::row_start(*line);
    if (!detail::split_csv_line(*line, fields)) {
      throw Error(fmt::format(
          "{}: row '{}' has an unterminated quote; fix or re-create the "
          "table",
          where, start));
    }
    if (fields.size() != column_count) {
      throw Error(fmt::format(
          "{}: row '{}' has {} columns but the header has {}; fix or "
          "re-create the table",
          where, start, fields.size(), column_count));
    }

    std::array<double, 3> accuracy{};
    for (std::size_t c = 0; c < accuracy.size(); ++c) {
      const std::string& field = fields[columns[c]];
      const std::optional<double> value = detail::parse_double(field);
      if (!value || !std::isfinite(*value) || *value < 0.0 || *value > 100.0) {
        throw Error(fmt::format(
            "{}: row '{}' has {} '{}', which is not an accuracy in percent "
            "(a number from 0 to 100); fix or re-create the table",
            where, start, detail::kNb201Columns[c], field));
      }
      accuracy[c] = *value;
    }

    std::string architecture(detail::trim(fields[columns[3]]));
    if (architecture.empty()) {
      throw Error(fmt::format(
          "{}: row '{}' has an empty ArchitectureString; fix or re-create "
          "the table",
          where, start));
    }
    const auto [previous, inserted] =
        first_line.emplace(architecture, line_number);
    if (!inserted) {
      throw Error(fmt::format(
          "{}: architecture '{}' already appears on line {}; every "
          "ArchitectureString must be unique, so remove the duplicate row",
          where, architecture, previous->second));
    }
    table.rows_.emplace(std::move(architecture),
                        Nb201Accuracy{accuracy[0], accuracy[1], accuracy[2]});
  }

  if (table.rows_.empty()) {
    throw Error(
        fmt::format("NAS-Bench-201 table '{}' has a header but no rows; {}",
                    name, how_to_pass));
  }
  return table;
}

inline std::optional<Nb201Accuracy> Nb201Table::find(
    const std::string& architecture) const {
  const auto found = rows_.find(architecture);
  if (found == rows_.end()) {
    return std::nullopt;
  }
  return found->second;
}

}  // namespace isdarts::benchmark
