// isdarts-custom-metric: defines a new importance metric in a few lines and
// searches the NAS-Bench-201 space with it on CIFAR-10.
//
// The metric ranks a candidate operation by the L2 norm of its output
// feature map. `OutputMetric` runs the supernet on the measured images,
// calls `score` with every kept candidate's output in every cell, and
// averages the scores over images and cells. docs/writing-a-policy.md walks
// through this file.
//
// Exit codes: 0 on success, 1 on a run-time failure, 2 on invalid options.

#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <torch/torch.h>

#include "isdarts/isdarts.hpp"

namespace {

/// Importance = L2 norm of a candidate's output for one image, averaged by
/// OutputMetric over the measured images and the cells that share the edge.
/// `none` outputs zeros, so it scores 0 and leaves first.
class L2NormMetric : public isdarts::OutputMetric<L2NormMetric> {
 public:
  /// Name in logs and reports.
  static constexpr const char* name = "l2-norm";
  /// Larger norms mark more important candidates.
  static constexpr bool larger_is_more_important = true;

  /// Returns one value per image of `output` [B, C, H, W], as a tensor [B].
  torch::Tensor score(const torch::Tensor& output) const {
    return output.to(torch::kFloat32).flatten(1).square().sum(1).sqrt();
  }
};

struct Settings {
  std::string data_dir;
  std::string benchmark;
  int64_t train_images = 5000;
  int64_t epochs = 6;
  int64_t channels = 8;
  uint64_t seed = 0;
  int64_t threads = 0;
};

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

int run(const Settings& s) {
  using namespace isdarts;
  auto dir = data::resolve_cifar10_dir(s.data_dir);
  auto train = data::load_cifar10(dir, data::Split::kTrain, s.train_images);

  // The searcher takes the new metric like any other policy. One shrink step
  // per epoch leaves the last epoch to train the final cell.
  auto options = SearchOptions().epochs(s.epochs).seed(s.seed).threads(
      s.threads);
  auto space = NB201Space(NB201Space::Options().channels(s.channels).cells(1));
  auto schedule = LinearShrink(LinearShrinkOptions().interval(1));
  Searcher<NB201Space, L2NormMetric, LinearShrink> searcher(
      options, space, L2NormMetric(), schedule);
  auto result = searcher.run(train);

  auto genotype = NB201Space::format_genotype(result.genotype);
  fmt::print("genotype: {}\n", genotype);
  if (s.benchmark.empty()) return 0;

  auto table = benchmark::Nb201Table::load(s.benchmark);
  auto accuracy = table.find(genotype);
  if (!accuracy) {
    throw Error(fmt::format(
        "genotype '{}' is not in the table '{}'; check that it is the "
        "NAS-Bench-201 accuracy table",
        genotype, s.benchmark));
  }
  fmt::print(
      "benchmark: test accuracy CIFAR-10 {:.2f}%, CIFAR-100 {:.2f}%, "
      "ImageNet16-120 {:.2f}%\n",
      accuracy->cifar10, accuracy->cifar100, accuracy->imagenet16_120);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Search NAS-Bench-201 with a user-defined importance metric"};
  Settings s;
  app.add_option("--data", s.data_dir,
                 "CIFAR-10 folder (cifar-10-batches-bin or its parent); "
                 "default $ISDARTS_CIFAR10_DIR");
  app.add_option("--benchmark", s.benchmark,
                 "NAS-Bench-201 accuracy table (CSV) for looking up the "
                 "found cell; default $ISDARTS_NB201_TABLE, none if unset");
  app.add_option("--train-images", s.train_images,
                 "Training images, the first N of the split; at least the "
                 "200 on which importance is measured (5000)")
      ->check(CLI::Range(int64_t{200}, int64_t{50000}));
  app.add_option("--epochs", s.epochs,
                 "Training epochs; at least 5 for the 4 shrink steps (6)")
      ->check(CLI::Range(int64_t{5}, int64_t{100000}));
  app.add_option("--channels", s.channels,
                 "Channels of the first stage, C (8)")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}));
  app.add_option("--seed", s.seed, "Random seed (0)");
  app.add_option("--threads", s.threads,
                 "CPU threads; 0 uses every hardware thread (0)")
      ->check(CLI::Range(int64_t{0}, int64_t{4096}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "isdarts-custom-metric: {}; run with --help\n",
               e.what());
    return 2;
  }
  s.data_dir = s.data_dir.empty() ? env_or("ISDARTS_CIFAR10_DIR", "")
                                  : s.data_dir;
  s.benchmark = s.benchmark.empty() ? env_or("ISDARTS_NB201_TABLE", "")
                                    : s.benchmark;
  if (s.data_dir.empty()) {
    fmt::print(stderr,
               "isdarts-custom-metric: no CIFAR-10 folder given; pass --data "
               "DIR or set ISDARTS_CIFAR10_DIR\n");
    return 2;
  }

  try {
    return run(s);
  } catch (const isdarts::InvalidArgument& e) {
    fmt::print(stderr, "isdarts-custom-metric: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "isdarts-custom-metric: {}\n", e.what());
    return 1;
  }
}
