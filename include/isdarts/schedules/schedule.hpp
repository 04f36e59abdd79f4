#pragma once

/// Shrink-schedule policies.
///
/// A shrink schedule provides:
///
///     static constexpr const char* name;  // "linear", used in reports
///     int64_t num_steps() const;
///     int64_t step_epoch(int64_t step, int64_t epochs) const;
///     int64_t kept(int64_t step, int64_t size, int64_t survivors) const;
///     void validate(int64_t epochs, int64_t max_size,
///                   int64_t survivors) const;
///
/// Steps are numbered from 1 to `num_steps()`. `step_epoch` is the epoch,
/// from 1, after whose training step `step` discards candidates. `kept` is the
/// number of candidates a comparison subset of `size` candidates keeps after
/// that step, where `survivors` remain after the last one. `validate` raises
/// InvalidArgument when the schedule cannot run in that setting.

#include <cstdint>
#include <type_traits>
#include <utility>

namespace isdarts {
namespace detail {

template <class T, class = void>
struct has_schedule_name : std::false_type {};
template <class T>
struct has_schedule_name<T, std::void_t<decltype(T::name)>>
    : std::true_type {};

template <class T, class = void>
struct has_schedule_steps : std::false_type {};
template <class T>
struct has_schedule_steps<
    T, std::void_t<decltype(std::declval<const T&>().num_steps()),
                   decltype(std::declval<const T&>().step_epoch(int64_t{},
                                                                int64_t{}))>>
    : std::true_type {};

template <class T, class = void>
struct has_schedule_kept : std::false_type {};
template <class T>
struct has_schedule_kept<
    T, std::void_t<decltype(std::declval<const T&>().kept(
           int64_t{}, int64_t{}, int64_t{}))>> : std::true_type {};

template <class T, class = void>
struct has_schedule_validate : std::false_type {};
template <class T>
struct has_schedule_validate<
    T, std::void_t<decltype(std::declval<const T&>().validate(
           int64_t{}, int64_t{}, int64_t{}))>> : std::true_type {};

}  // namespace detail

/// Compile-time check that `Schedule` is a shrink schedule.
template <class Schedule>
constexpr bool check_schedule() {
  static_assert(detail::has_schedule_name<Schedule>::value,
                "shrink schedule is missing "
                "'static constexpr const char* name'");
  static_assert(detail::has_schedule_steps<Schedule>::value,
                "shrink schedule is missing 'int64_t num_steps() const' or "
                "'int64_t step_epoch(int64_t step, int64_t epochs) const'");
  static_assert(detail::has_schedule_kept<Schedule>::value,
                "shrink schedule is missing 'int64_t kept(int64_t step, "
                "int64_t size, int64_t survivors) const'");
  static_assert(detail::has_schedule_validate<Schedule>::value,
                "shrink schedule is missing 'void validate(int64_t epochs, "
                "int64_t max_size, int64_t survivors) const'");
  return true;
}

}  // namespace isdarts
