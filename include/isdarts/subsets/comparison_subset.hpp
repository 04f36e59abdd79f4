#pragma once

/// Comparison subsets: the groups of candidate operations that compete with
/// each other during shrinking.
///
/// A comparison-subset rule is a policy that provides:
///
///     static constexpr const char* name;
///     std::vector<ComparisonSubset> subsets(
///         const std::vector<EdgeInfo>& edges, int64_t num_candidates) const;
///
/// Every candidate (edge, column) belongs to exactly one subset. Within a
/// subset, the `survivors` most important candidates remain at the end of the
/// search; the shrink schedule decides how many remain after each step.

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "isdarts/mask.hpp"

namespace isdarts {

/// One comparison subset: its members as (edge, candidate) pairs and the
/// number of candidates that survive the last shrink step.
struct ComparisonSubset {
  std::string label;
  std::vector<std::pair<int64_t, int64_t>> members;
  int64_t survivors = 1;
};

namespace detail {

template <class T, class = void>
struct has_subset_name : std::false_type {};
template <class T>
struct has_subset_name<T, std::void_t<decltype(T::name)>> : std::true_type {};

template <class T, class = void>
struct has_subsets : std::false_type {};
template <class T>
struct has_subsets<T, std::void_t<decltype(std::declval<const T&>().subsets(
                          std::declval<const std::vector<EdgeInfo>&>(),
                          int64_t{}))>>
    : std::is_same<decltype(std::declval<const T&>().subsets(
                       std::declval<const std::vector<EdgeInfo>&>(),
                       int64_t{})),
                   std::vector<ComparisonSubset>> {};

}  // namespace detail

/// Compile-time check that `Rule` is a comparison-subset rule.
template <class Rule>
constexpr bool check_subset_rule() {
  static_assert(detail::has_subset_name<Rule>::value,
                "comparison-subset rule is missing "
                "'static constexpr const char* name'");
  static_assert(detail::has_subsets<Rule>::value,
                "comparison-subset rule is missing 'std::vector<"
                "ComparisonSubset> subsets(const std::vector<EdgeInfo>&, "
                "int64_t num_candidates) const'");
  return true;
}

}  // namespace isdarts
