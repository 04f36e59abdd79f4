#pragma once

/// Search-space policies.
///
/// A search space provides:
///
///     static constexpr const char* name;      // "nb201", used in reports
///     struct Options;                          // network size
///     using Genotype = ...;                    // a found architecture
///     using Supernet = ...;                    // a TORCH_MODULE holder
///     using DefaultSubsets = ...;              // comparison-subset rule
///     const std::vector<std::string>& candidates() const;  // mask columns
///     const std::vector<EdgeInfo>& edges() const;           // mask rows
///     Supernet make_supernet() const;
///     Genotype derive(const Mask& mask) const; // the cell a mask leaves
///     static Genotype parse_genotype(const std::string& text);
///     static std::string format_genotype(const Genotype& genotype);
///     static nlohmann::json genotype_json(const Genotype& genotype);
///
/// and its supernet, through `operator->`:
///
///     torch::Tensor forward(const torch::Tensor& images,
///                           const torch::Tensor& edge_weights);
///     void set_mask(const Mask& mask);
///     void set_probe(nn::OutputProbe probe);
///
/// `forward` returns logits; `edge_weights` [edges, candidates] weighs each
/// kept candidate in its edge's sum, or is undefined for 1/|kept|. While a
/// probe is set, the supernet calls it with every kept candidate's output.

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "isdarts/mask.hpp"
#include "isdarts/nn/layers.hpp"

namespace isdarts {
namespace detail {

template <class T, class = void>
struct has_space_name : std::false_type {};
template <class T>
struct has_space_name<T, std::void_t<decltype(T::name)>> : std::true_type {};

template <class T, class = void>
struct has_space_types : std::false_type {};
template <class T>
struct has_space_types<
    T, std::void_t<typename T::Options, typename T::Genotype,
                   typename T::Supernet, typename T::DefaultSubsets>>
    : std::true_type {};

template <class T, class = void>
struct has_space_structure : std::false_type {};
template <class T>
struct has_space_structure<
    T, std::void_t<decltype(std::declval<const T&>().candidates().size()),
                   decltype(std::declval<const T&>().edges().size())>>
    : std::true_type {};

template <class T, class = void>
struct has_make_supernet : std::false_type {};
template <class T>
struct has_make_supernet<
    T, std::void_t<decltype(std::declval<const T&>().make_supernet())>>
    : std::true_type {};

template <class T, class = void>
struct has_derive : std::false_type {};
template <class T>
struct has_derive<T, std::void_t<decltype(std::declval<const T&>().derive(
                         std::declval<const Mask&>()))>> : std::true_type {};

template <class T, class = void>
struct has_genotype_text : std::false_type {};
template <class T>
struct has_genotype_text<
    T, std::void_t<decltype(T::parse_genotype(std::string())),
                   decltype(T::format_genotype(
                       std::declval<const typename T::Genotype&>())),
                   decltype(T::genotype_json(
                       std::declval<const typename T::Genotype&>()))>>
    : std::true_type {};

template <class T, class = void>
struct has_supernet_interface : std::false_type {};
template <class T>
struct has_supernet_interface<
    T,
    std::void_t<
        decltype(std::declval<typename T::Supernet&>()->forward(
            std::declval<const torch::Tensor&>(),
            std::declval<const torch::Tensor&>())),
        decltype(std::declval<typename T::Supernet&>()->set_mask(
            std::declval<const Mask&>())),
        decltype(std::declval<typename T::Supernet&>()->set_probe(
            nn::OutputProbe()))>> : std::true_type {};

}  // namespace detail

/// Compile-time check that `Space` is a search space; each missing member
/// gives one error that names it.
template <class Space>
constexpr bool check_space() {
  static_assert(detail::has_space_name<Space>::value,
                "search space is missing 'static constexpr const char* name'");
  static_assert(detail::has_space_types<Space>::value,
                "search space is missing one of the member types 'Options', "
                "'Genotype', 'Supernet' or 'DefaultSubsets'");
  static_assert(detail::has_space_structure<Space>::value,
                "search space is missing 'candidates() const' or "
                "'edges() const'");
  static_assert(detail::has_make_supernet<Space>::value,
                "search space is missing 'Supernet make_supernet() const'");
  static_assert(detail::has_derive<Space>::value,
                "search space is missing 'Genotype derive(const Mask&) "
                "const'");
  static_assert(detail::has_genotype_text<Space>::value,
                "search space is missing 'parse_genotype', "
                "'format_genotype' or 'genotype_json'");
  static_assert(detail::has_supernet_interface<Space>::value,
                "search space's Supernet is missing 'forward(images, "
                "edge_weights)', 'set_mask(const Mask&)' or "
                "'set_probe(nn::OutputProbe)'");
  return true;
}

}  // namespace isdarts
