#pragma once

// Locations of the real data that the [data] tests read. Each comes from its
// own environment variable, else from ISDARTS_TEST_DATA_DIR, where the ctest
// set-up step (tests/prepare-data.sh) writes both.

#ifdef ISDARTS_CATCH2_V3
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif

// Matcher of a substring in Catch2 v2 and v3.
#ifdef ISDARTS_CATCH2_V3
#define ISDARTS_CONTAINS(text) Catch::Matchers::ContainsSubstring(text)
#else
#define ISDARTS_CONTAINS(text) Catch::Matchers::Contains(text)
#endif

#include <cstdlib>
#include <filesystem>
#include <string>

namespace isdarts_test_detail {

// Returns $variable when it is set and not empty, else
// $ISDARTS_TEST_DATA_DIR/fallback_name. Fails the running test when neither
// variable is set.
inline std::filesystem::path data_path(const char* variable,
                                       const char* fallback_name,
                                       const char* what) {
  const char* value = std::getenv(variable);
  if (value != nullptr && *value != '\0') {
    return value;
  }
  const char* root = std::getenv("ISDARTS_TEST_DATA_DIR");
  if (root != nullptr && *root != '\0') {
    return std::filesystem::path(root) / fallback_name;
  }
  FAIL("neither " << variable << " nor ISDARTS_TEST_DATA_DIR is set; set "
                  << variable << " to " << what
                  << ", or ISDARTS_TEST_DATA_DIR to the folder that contains "
                  << fallback_name << " (ctest sets it)");
  return {};
}

}  // namespace isdarts_test_detail

/// Returns the folder of the CIFAR-10 binary files: $ISDARTS_CIFAR10_DIR, or
/// $ISDARTS_TEST_DATA_DIR/cifar-10-batches-bin.
/// Like the examples, it accepts the parent of cifar-10-batches-bin.
inline std::filesystem::path test_cifar10_dir() {
  auto dir = isdarts_test_detail::data_path(
      "ISDARTS_CIFAR10_DIR", "cifar-10-batches-bin",
      "the folder that contains data_batch_1.bin ... test_batch.bin");
  if (std::filesystem::is_directory(dir / "cifar-10-batches-bin")) {
    return dir / "cifar-10-batches-bin";
  }
  return dir;
}

/// Returns the NAS-Bench-201 accuracy table: $ISDARTS_NB201_TABLE, or
/// $ISDARTS_TEST_DATA_DIR/nb201-accuracy.csv.
inline std::filesystem::path test_nb201_table() {
  return isdarts_test_detail::data_path("ISDARTS_NB201_TABLE",
                                        "nb201-accuracy.csv",
                                        "the path of nb201-accuracy.csv");
}
