// isdarts-search: runs an IS-DARTS search on CIFAR-10, or a baseline chosen
// by --metric and --schedule, and looks the found cell up in the
// NAS-Bench-201 accuracy table.
//
// Exit codes: 0 on success, 1 on a run-time failure (unreadable data,
// failed look-up), 2 on invalid options.

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "isdarts/isdarts.hpp"

namespace {

/// Options of the command line after the preset is applied.
struct Settings {
  std::string space = "nb201";
  std::string metric = "iim";
  std::string schedule = "linear";
  std::string preset = "paper";
  std::string data_dir;
  std::string benchmark;
  std::string output;
  // Set from the preset unless given on the command line.
  int64_t epochs = 0;
  int64_t channels = 0;
  int64_t cells = 0;
  int64_t batch_size = 0;
  int64_t train_images = 0;
  double shrink_rate = 0.0;
  int64_t shrink_interval = 0;
  int64_t iim_samples = 0;
  uint64_t seed = 0;
  int64_t threads = 0;
  std::string device = "cpu";
};

/// Applies the preset to every option that the command line did not set.
void apply_preset(Settings& s, const CLI::App& app) {
  auto preset = isdarts_cli::search_preset(s.space, s.preset);
  auto take = [&](const char* flag, auto& field, const auto& value) {
    if (app.count(flag) == 0) field = value;
  };
  take("--epochs", s.epochs, preset.epochs);
  take("--channels", s.channels, preset.channels);
  take("--cells", s.cells, preset.cells);
  take("--batch-size", s.batch_size, preset.batch_size);
  take("--train-images", s.train_images, preset.train_images);
  take("--shrink-rate", s.shrink_rate, preset.shrink_rate);
  take("--shrink-interval", s.shrink_interval, preset.shrink_interval);
  take("--iim-samples", s.iim_samples, preset.iim_samples);
}

/// Looks the genotype up and stores the accuracies in the report; a failure
/// is stored as `benchmark_error` and rethrown.
void look_up(const Settings& s, const std::string& genotype,
             nlohmann::json& report) {
  try {
    auto table = isdarts::benchmark::Nb201Table::load(s.benchmark);
    auto accuracy = table.find(genotype);
    if (!accuracy) {
      throw isdarts::Error(fmt::format(
          "genotype '{}' is not in the table '{}'; check that it is the "
          "NAS-Bench-201 accuracy table",
          genotype, s.benchmark));
    }
    report["benchmark"] = {{"cifar10", accuracy->cifar10},
                           {"cifar100", accuracy->cifar100},
                           {"imagenet16_120", accuracy->imagenet16_120}};
    fmt::print(
        "benchmark: test accuracy CIFAR-10 {:.2f}%, CIFAR-100 {:.2f}%, "
        "ImageNet16-120 {:.2f}%\n",
        accuracy->cifar10, accuracy->cifar100, accuracy->imagenet16_120);
  } catch (const std::exception& e) {
    report["benchmark_error"] = e.what();
    throw;
  }
}

template <class Space, class Metric, class Schedule>
int search(const Settings& s, typename Space::Options space_options,
           Schedule schedule) {
  auto device = torch::Device(s.device);
  auto options = isdarts::SearchOptions()
                     .epochs(s.epochs)
                     .batch_size(s.batch_size)
                     .importance_images(s.iim_samples)
                     .seed(s.seed)
                     .threads(s.threads)
                     .device(device);
  isdarts::Searcher<Space, Metric, Schedule> searcher(
      options, Space(space_options), Metric(), schedule);

  auto start = std::chrono::steady_clock::now();
  auto dir = isdarts::data::resolve_cifar10_dir(s.data_dir);
  auto train = isdarts::data::load_cifar10(
      dir, isdarts::data::Split::kTrain,
      s.train_images > 0 ? s.train_images : -1);
  fmt::print("data: {} training images from {} in {:.1f} s\n", train.size(),
             dir.string(),
             std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           start)
                 .count());

  auto result = searcher.run(train);
  auto genotype = Space::format_genotype(result.genotype);
  fmt::print("genotype: {}\n", genotype);
  std::fflush(stdout);

  // Save the result before the look-up, which may fail.
  auto report =
      isdarts::search_report<Space, Metric, Schedule>(result, options);
  report["preset"] = s.preset;
  report["settings"] = {{"channels", s.channels},
                        {"cells", s.cells},
                        {"train_images", train.size()},
                        {"shrink_rate", s.shrink_rate},
                        {"shrink_interval", s.shrink_interval}};
  report["benchmark"] = nullptr;
  if (!s.output.empty()) isdarts::write_json(report, s.output);

  if (!s.benchmark.empty() && std::string(Space::name) == "nb201") {
    try {
      look_up(s, genotype, report);
    } catch (...) {
      if (!s.output.empty()) isdarts::write_json(report, s.output);
      throw;
    }
    if (!s.output.empty()) isdarts::write_json(report, s.output);
  }
  if (!s.output.empty()) fmt::print("report: {}\n", s.output);
  return 0;
}

/// Searches with the metric named by --metric.
template <class Space, class Schedule>
int search_with_metric(const Settings& s,
                       typename Space::Options space_options,
                       Schedule schedule) {
  using namespace isdarts;
  if (s.metric == "fisher") {
    return search<Space, FisherMetric, Schedule>(s, space_options, schedule);
  }
  if (s.metric == "alpha") {
    return search<Space, AlphaMetric, Schedule>(s, space_options, schedule);
  }
  if (s.metric == "random") {
    return search<Space, RandomMetric, Schedule>(s, space_options, schedule);
  }
  return search<Space, IIMMetric, Schedule>(s, space_options, schedule);
}

/// Searches `Space` with the metric and schedule of the command line; each
/// combination is its own instantiation of the searcher.
template <class Space>
int search_with_policies(const Settings& s,
                         typename Space::Options space_options) {
  if (s.schedule == "oneshot") {
    return search_with_metric<Space>(s, space_options, isdarts::OneShot());
  }
  auto linear = isdarts::LinearShrink(isdarts::LinearShrinkOptions()
                                          .shrink_rate(s.shrink_rate)
                                          .interval(s.shrink_interval));
  return search_with_metric<Space>(s, space_options, linear);
}

int dispatch(const Settings& s) {
  if (s.space == "darts") {
    return search_with_policies<isdarts::DartsSpace>(
        s, isdarts::DartsSpace::Options()
               .channels(s.channels)
               .cells(s.cells));
  }
  return search_with_policies<isdarts::NB201Space>(
      s, isdarts::NB201Space::Options().channels(s.channels).cells(s.cells));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Search a cell with IS-DARTS on CIFAR-10", "isdarts-search"};
  Settings s;
  app.add_option("--space", s.space,
                 "Search space: nb201 (NAS-Bench-201) or darts; default "
                 "nb201")
      ->check(CLI::IsMember({"nb201", "darts"}))
      ->default_val("nb201");
  app.add_option("--metric", s.metric,
                 "Importance metric: iim (IS-DARTS), fisher (the formula of "
                 "the published IS-DARTS code), alpha (DARTS' architecture "
                 "weights, trained bi-level) or random; default iim")
      ->check(CLI::IsMember({"iim", "fisher", "alpha", "random"}))
      ->default_val("iim");
  app.add_option("--schedule", s.schedule,
                 "Shrink schedule: linear (IS-DARTS) or oneshot (one step "
                 "after the last epoch, as in DARTS); default linear")
      ->check(CLI::IsMember({"linear", "oneshot"}))
      ->default_val("linear");
  app.add_option("--preset", s.preset,
                 "paper: the published configuration of the space; quick: "
                 "a small supernet on a subset of the images, for a 2-core "
                 "machine (paper)")
      ->check(CLI::IsMember({"paper", "quick"}))
      ->default_val("paper");
  app.add_option("--data", s.data_dir,
                 "CIFAR-10 folder (cifar-10-batches-bin or its parent); "
                 "default $ISDARTS_CIFAR10_DIR");
  app.add_option("--benchmark", s.benchmark,
                 "NAS-Bench-201 accuracy table (CSV) for looking up the "
                 "found cell; default $ISDARTS_NB201_TABLE, none if unset");
  app.add_option("--output", s.output, "JSON report to write");
  app.add_option("--epochs", s.epochs, "Training epochs (paper: 30 for nb201, 50 for darts)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000}));
  app.add_option("--channels", s.channels,
                 "Channels of the first cells, C (paper: 16)")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}));
  app.add_option("--cells", s.cells, "Cells: per stage N for nb201 (paper: 5), in all for darts "
                 "(paper: 8)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000}));
  app.add_option("--batch-size", s.batch_size, "Images per batch (64)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000}));
  app.add_option("--train-images", s.train_images,
                 "Use only the first N training images; 0 uses all "
                 "(paper: 0)")
      ->check(CLI::Range(int64_t{0}, int64_t{50000}));
  app.add_option("--shrink-rate", s.shrink_rate,
                 "Fraction of removable candidates discarded per shrink "
                 "step, in (0, 1] (paper: 0.25 for nb201, 1/7 for darts)");
  app.add_option("--shrink-interval", s.shrink_interval,
                 "Epochs between shrink steps (paper: 2 for nb201, 3 for "
                 "darts)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000}));
  app.add_option("--iim-samples", s.iim_samples,
                 "Training images on which importance is measured (paper: "
                 "200 for nb201, 600 for darts)")
      ->check(CLI::Range(int64_t{1}, int64_t{50000}));
  app.add_option("--seed", s.seed, "Random seed, 0 or more (0)")
      ->check(isdarts_cli::kNonNegative);
  app.add_option("--threads", s.threads,
                 "CPU threads; 0 uses every hardware thread (0)")
      ->check(CLI::Range(int64_t{0}, int64_t{4096}));
  app.add_option("--device", s.device, "cpu or cuda (cpu)")
      ->check(CLI::IsMember({"cpu", "cuda"}));

  auto parse = [&] {
    app.parse(argc, argv);
    apply_preset(s, app);
    s.data_dir = isdarts_cli::value_or_env(s.data_dir, "ISDARTS_CIFAR10_DIR");
    s.benchmark =
        isdarts_cli::value_or_env(s.benchmark, "ISDARTS_NB201_TABLE");
    if (s.data_dir.empty()) {
      throw isdarts::InvalidArgument(
          "no CIFAR-10 folder given; pass --data DIR or set "
          "ISDARTS_CIFAR10_DIR");
    }
    if (s.space == "darts") {
      isdarts::nn::check_darts_network_size(s.channels, s.cells, 10);
    }
    if (s.schedule == "oneshot" &&
        (app.count("--shrink-rate") > 0 || app.count("--shrink-interval") > 0)) {
      fmt::print(stderr,
                 "isdarts-search: warning: --shrink-rate and --shrink-interval "
                 "apply to --schedule linear only and are ignored\n");
    }
    isdarts::check_output_path(s.output, "--output");
    isdarts_cli::check_device(s.device);
    if (s.space == "darts" && app.count("--benchmark") > 0) {
      fmt::print(stderr,
                 "isdarts-search: warning: --benchmark applies to --space "
                 "nb201 only and is ignored\n");
    }
    if (s.space == "nb201" && !s.benchmark.empty() &&
        !std::filesystem::exists(s.benchmark)) {
      fmt::print(stderr,
                 "isdarts-search: warning: benchmark table '{}' not found; "
                 "the search runs, but the look-up will fail\n",
                 s.benchmark);
    }
  };
  return isdarts_cli::run_program(app, parse, [&] { return dispatch(s); });
}
