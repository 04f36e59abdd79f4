// End-to-end search on real CIFAR-10 images.

#ifdef ISDARTS_CATCH2_V3
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif

#include <filesystem>
#include <random>
#include <string>

#include "isdarts/isdarts.hpp"
#include "test_paths.hpp"

TEST_CASE("NAS-Bench-201 search on real images", "[data][search]") {
  auto train = isdarts::data::load_cifar10(test_cifar10_dir(),
                                           isdarts::data::Split::kTrain, 2000);
  auto options = isdarts::SearchOptions()
                     .epochs(5)
                     .batch_size(64)
                     .importance_images(64)
                     .verbose(false);
  isdarts::Searcher<isdarts::NB201Space, isdarts::IIMMetric,
                    isdarts::LinearShrink>
      searcher(options,
               isdarts::NB201Space(
                   isdarts::NB201Space::Options().channels(4).cells(1)),
               isdarts::IIMMetric(),
               isdarts::LinearShrink(
                   isdarts::LinearShrinkOptions().interval(1)));
  auto result = searcher.run(train);

  // Every edge kept exactly one operation and the genotype is valid.
  for (int64_t e = 0; e < 6; ++e) CHECK(result.mask.num_kept(e) == 1);
  auto text = isdarts::NB201Space::format_genotype(result.genotype);
  CHECK(isdarts::NB201Space::parse_genotype(text) == result.genotype);
  // IIM of `none` is 0, so it leaves every edge first.
  REQUIRE(result.shrink_steps.size() == 4);
  for (const auto& d : result.shrink_steps[0].discarded) {
    CHECK(d.operation == "none");
  }
  CHECK(result.epochs.size() == 5);
  CHECK(result.epochs.back().loss < result.epochs.front().loss);
  // The found cell is in the benchmark.
  auto table = isdarts::benchmark::Nb201Table::load(test_nb201_table());
  CHECK(table.find(text).has_value());
}

TEST_CASE("report writing and output checks", "[report]") {
  namespace fs = std::filesystem;
  auto folder = fs::temp_directory_path() /
                ("isdarts-report-" + std::to_string(std::random_device()()));
  fs::create_directories(folder);

  // An error message that quotes a file in another encoding is not UTF-8;
  // the report is still written, with U+FFFD in its place.
  nlohmann::json report = {{"benchmark_error", std::string("Pr\xe9" "cision")}};
  auto path = folder / "report.json";
  REQUIRE_NOTHROW(isdarts::write_json(report, path));
  CHECK(fs::exists(path));
  CHECK_FALSE(fs::exists(folder / "report.json.tmp"));

  // A folder in place of the file fails without leaving a temporary file.
  CHECK_THROWS_AS(isdarts::write_json(report, folder), isdarts::Error);
  CHECK_FALSE(fs::exists(fs::path(folder.string() + ".tmp")));

  CHECK_NOTHROW(isdarts::check_output_path(path, "--output"));
  CHECK_NOTHROW(isdarts::check_output_path("", "--output"));
  CHECK_THROWS_AS(isdarts::check_output_path(folder, "--output"),
                  isdarts::InvalidArgument);
  CHECK_THROWS_WITH(
      isdarts::check_output_path(folder / "missing" / "r.json", "--output"),
      ISDARTS_CONTAINS("does not exist"));

  std::error_code ignored;
  fs::remove_all(folder, ignored);
}
