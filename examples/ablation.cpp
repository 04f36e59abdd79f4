// isdarts-ablation: runs IS-DARTS and its baselines and ablations on the
// NAS-Bench-201 space with one seed and one training budget, looks each
// found cell up in the NAS-Bench-201 accuracy table, and writes a Markdown
// table of the results.
//
// Exit codes: 0 when every method ran, 1 when a method or the look-up
// failed (the table still lists the others), 2 on invalid options.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli.hpp"
#include "isdarts/isdarts.hpp"

namespace {

/// Options of the command line after the preset is applied.
struct Settings {
  std::string preset = "paper";
  std::string data_dir;
  std::string benchmark;
  std::string output;
  std::string methods;
  // Set from the preset unless given on the command line.
  int64_t epochs = 0;
  int64_t channels = 0;
  int64_t cells = 0;
  int64_t train_images = 0;
  int64_t shrink_interval = 0;
  uint64_t seed = 0;
  int64_t threads = 0;
  std::string device = "cpu";
};

/// One method of the table: a metric and a schedule.
struct Method {
  const char* key;
  const char* label;
};

const std::vector<Method>& all_methods() {
  static const std::vector<Method> methods = {
      {"isdarts", "IS-DARTS"},
      {"isdarts-fisher", "IS-DARTS, formula of the published code"},
      {"idarts", "I-DARTS"},
      {"sdarts", "S-DARTS"},
      {"darts", "DARTS"},
      {"random", "random"},
  };
  return methods;
}

/// One row of the table.
struct Row {
  std::string label;
  std::string metric;
  std::string schedule;
  std::string genotype;
  std::optional<isdarts::benchmark::Nb201Accuracy> accuracy;
  double seconds = 0.0;
  std::string error;
};

/// Applies the NAS-Bench-201 preset of isdarts-search to every option that
/// the command line did not set.
void apply_preset(Settings& s, const CLI::App& app) {
  auto preset = isdarts_cli::search_preset("nb201", s.preset);
  auto take = [&](const char* flag, auto& field, const auto& value) {
    if (app.count(flag) == 0) field = value;
  };
  take("--epochs", s.epochs, preset.epochs);
  take("--channels", s.channels, preset.channels);
  take("--cells", s.cells, preset.cells);
  take("--train-images", s.train_images, preset.train_images);
  take("--shrink-interval", s.shrink_interval, preset.shrink_interval);
}

/// Keys of the methods to run, in the table's order, from a comma list;
/// an empty list selects all. Raises InvalidArgument on an unknown key.
std::vector<Method> select_methods(const std::string& list) {
  if (list.empty()) return all_methods();
  std::vector<std::string> requested;
  std::stringstream stream(list);
  std::string key;
  while (std::getline(stream, key, ',')) {
    if (!key.empty()) requested.push_back(key);
  }
  if (requested.empty()) {
    throw isdarts::InvalidArgument(fmt::format(
        "--methods '{}' names no method; give a comma list such as "
        "isdarts,darts, or leave it out to run all",
        list));
  }

  std::string known;
  for (const auto& method : all_methods()) {
    known += (known.empty() ? "" : ", ") + std::string(method.key);
  }
  for (const auto& name : requested) {
    bool found = false;
    for (const auto& method : all_methods()) found |= name == method.key;
    if (!found) {
      throw isdarts::InvalidArgument(fmt::format(
          "unknown method '{}' in --methods; use a comma list of: {}", name,
          known));
    }
  }

  std::vector<Method> selected;
  for (const auto& method : all_methods()) {
    for (const auto& name : requested) {
      if (name == method.key) {
        selected.push_back(method);
        break;
      }
    }
  }
  return selected;
}

/// Searches with one metric and schedule and looks the cell up.
template <class Metric, class Schedule>
Row run_method(const Settings& s, const Method& method,
               const isdarts::data::Cifar10& train, Schedule schedule,
               const isdarts::benchmark::Nb201Table& table) {
  std::string key = method.key;
  auto options = isdarts::SearchOptions()
                     .epochs(s.epochs)
                     .seed(s.seed)
                     .threads(s.threads)
                     .device(torch::Device(s.device))
                     .logger([key](const std::string& line) {
                       fmt::print("[{}] {}\n", key, line);
                       std::fflush(stdout);
                     });
  auto space = isdarts::NB201Space(
      isdarts::NB201Space::Options().channels(s.channels).cells(s.cells));
  isdarts::Searcher<isdarts::NB201Space, Metric, Schedule> searcher(
      options, space, Metric(), schedule);

  Row row;
  row.label = method.label;
  row.metric = Metric::name;
  row.schedule = Schedule::name;
  auto result = searcher.run(train);
  row.genotype = isdarts::NB201Space::format_genotype(result.genotype);
  row.seconds = result.search_seconds;
  row.accuracy = table.find(row.genotype);
  if (!row.accuracy) {
    row.error = fmt::format("genotype not found in the table '{}'",
                            s.benchmark);
  }
  return row;
}

Row run_by_key(const Settings& s, const Method& method,
               const isdarts::data::Cifar10& train,
               const isdarts::benchmark::Nb201Table& table) {
  using namespace isdarts;
  auto linear = LinearShrink(
      LinearShrinkOptions().interval(s.shrink_interval));
  std::string key = method.key;
  if (key == "isdarts") {
    return run_method<IIMMetric>(s, method, train, linear, table);
  }
  if (key == "isdarts-fisher") {
    return run_method<FisherMetric>(s, method, train, linear, table);
  }
  if (key == "idarts") {
    return run_method<IIMMetric>(s, method, train, OneShot(), table);
  }
  if (key == "sdarts") {
    return run_method<AlphaMetric>(s, method, train, linear, table);
  }
  if (key == "darts") {
    return run_method<AlphaMetric>(s, method, train, OneShot(), table);
  }
  return run_method<RandomMetric>(s, method, train, linear, table);
}

/// `text` with each `|` escaped, since Markdown tables split cells at a pipe
/// even inside a code span.
std::string escape_pipes(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    if (c == '|') escaped += '\\';
    escaped += c;
  }
  return escaped;
}

std::string format_table(const Settings& s, int64_t images,
                         const std::vector<Row>& rows) {
  std::string text = fmt::format(
      "NAS-Bench-201 search on {} CIFAR-10 training images: C = {}, N = {}, "
      "{} epochs, shrink interval {} epoch(s), seed {}, device {}. Accuracies "
      "are the benchmark's test accuracies (%) of the found cell trained "
      "200 epochs.\n\n",
      images, s.channels, s.cells, s.epochs, s.shrink_interval, s.seed,
      s.device);
  text +=
      "| Method | Metric | Schedule | Genotype | CIFAR-10 | CIFAR-100 | "
      "ImageNet16-120 | Search (s) |\n"
      "|---|---|---|---|---:|---:|---:|---:|\n";
  for (const auto& row : rows) {
    std::string genotype = row.genotype.empty()
                               ? "failed: " + escape_pipes(row.error)
                               : "`" + escape_pipes(row.genotype) + "`";
    if (row.accuracy) {
      text += fmt::format("| {} | {} | {} | {} | {:.2f} | {:.2f} | {:.2f} | "
                          "{:.0f} |\n",
                          row.label, row.metric, row.schedule, genotype,
                          row.accuracy->cifar10, row.accuracy->cifar100,
                          row.accuracy->imagenet16_120, row.seconds);
    } else {
      text += fmt::format("| {} | {} | {} | {} | - | - | - | {:.0f} |\n",
                          row.label, row.metric, row.schedule, genotype,
                          row.seconds);
    }
  }
  return text;
}

void write_text(const std::string& text, const std::string& path) {
  std::ofstream out(path);
  out << text;
  out.flush();
  if (!out) {
    throw isdarts::Error(fmt::format(
        "cannot write '{}'; check that its folder exists and is writable",
        path));
  }
}

int run_all(const Settings& s) {
  auto methods = select_methods(s.methods);
  auto table = isdarts::benchmark::Nb201Table::load(s.benchmark);
  auto dir = isdarts::data::resolve_cifar10_dir(s.data_dir);
  auto train = isdarts::data::load_cifar10(
      dir, isdarts::data::Split::kTrain,
      s.train_images > 0 ? s.train_images : -1);
  fmt::print("data: {} training images from {}\n", train.size(),
             dir.string());

  std::vector<Row> rows;
  bool failed = false;
  for (const auto& method : methods) {
    Row row;
    try {
      row = run_by_key(s, method, train, table);
    } catch (const std::exception& e) {
      // A failed method is listed with its error, and the others still run.
      row.label = method.label;
      row.error = e.what();
      fmt::print(stderr, "isdarts-ablation: {} failed: {}\n", method.key,
                 e.what());
    }
    failed |= !row.accuracy.has_value();
    rows.push_back(row);
    // Rewritten after every method, so an interrupted run keeps its rows.
    if (!s.output.empty()) {
      write_text(format_table(s, train.size(), rows), s.output);
    }
  }

  fmt::print("\n{}", format_table(s, train.size(), rows));
  if (!s.output.empty()) fmt::print("table: {}\n", s.output);
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Compare IS-DARTS with its baselines and ablations on NAS-Bench-201",
      "isdarts-ablation"};
  Settings s;
  app.add_option("--preset", s.preset,
                 "paper: the published configuration; quick: a small "
                 "supernet on 10,000 images for a 2-core machine")
      ->check(CLI::IsMember({"paper", "quick"}))
      ->default_val("paper");
  app.add_option("--data", s.data_dir,
                 "CIFAR-10 folder (cifar-10-batches-bin or its parent); "
                 "default $ISDARTS_CIFAR10_DIR");
  app.add_option("--benchmark", s.benchmark,
                 "NAS-Bench-201 accuracy table (CSV); required, default "
                 "$ISDARTS_NB201_TABLE");
  app.add_option("--output", s.output, "Markdown file for the table");
  app.add_option("--methods", s.methods,
                 "Comma list of methods to run: isdarts, isdarts-fisher, "
                 "idarts, sdarts, darts, random (all)");
  app.add_option("--epochs", s.epochs, "Training epochs (paper: 30)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000}));
  app.add_option("--channels", s.channels,
                 "Channels of the first stage, C (paper: 16)")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}));
  app.add_option("--cells", s.cells, "Cells per stage, N (paper: 5)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000}));
  app.add_option("--train-images", s.train_images,
                 "Use only the first N training images; 0 uses all "
                 "(paper: 0)")
      ->check(CLI::Range(int64_t{0}, int64_t{50000}));
  app.add_option("--shrink-interval", s.shrink_interval,
                 "Epochs between the shrink steps of the linear schedule "
                 "(paper: 2)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000}));
  app.add_option("--seed", s.seed, "Random seed of every search, 0 or more (0)")
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
    if (s.benchmark.empty()) {
      throw isdarts::InvalidArgument(
          "no NAS-Bench-201 table given; pass --benchmark CSV or set "
          "ISDARTS_NB201_TABLE");
    }
    select_methods(s.methods);
    // The linear schedule's settings are checked here, before any method
    // trains, and not when the first method that uses them starts.
    isdarts::LinearShrink(
        isdarts::LinearShrinkOptions().interval(s.shrink_interval))
        .validate(s.epochs, 5, 1);
    isdarts::check_output_path(s.output, "--output");
    isdarts_cli::check_device(s.device);
  };
  return isdarts_cli::run_program(app, parse, [&] { return run_all(s); });
}
