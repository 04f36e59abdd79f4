// isdarts-train: trains the evaluation network of a found cell from scratch
// on CIFAR-10, saves its weights, or evaluates saved weights.
//
// The cell comes from --genotype (the space's string form) or from the JSON
// report of isdarts-search (--report). For --space darts the network is the
// DARTS evaluation network (20 cells, C = 36, auxiliary head, drop path,
// Cutout); for --space nb201 it is the NAS-Bench-201 network (C = 16,
// N = 5) trained as the benchmark does.
//
// Exit codes: 0 on success, 1 on a run-time failure (unreadable data or
// weights), 2 on invalid options or genotypes.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <type_traits>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "isdarts/isdarts.hpp"

namespace {

/// Options of the command line after the preset is applied.
struct Settings {
  std::string space;
  std::string preset = "paper";
  std::string genotype;
  std::string report;
  std::string data_dir;
  std::string save;
  std::string evaluate;
  std::string output;
  // Set from the preset unless given on the command line.
  int64_t epochs = 0;
  int64_t train_images = 0;
  int64_t test_images = 0;
  int64_t channels = 0;
  int64_t cells = 0;
  int64_t batch_size = 0;
  double learning_rate = 0.0;
  double auxiliary_weight = 0.0;
  double drop_path = 0.0;
  int64_t cutout = 0;
  uint64_t seed = 0;
  int64_t threads = 0;
  std::string device = "cpu";
};

/// Returns the published training of a space, the base of its presets.
isdarts::TrainerOptions published_training(const std::string& space) {
  return space == "nb201" ? isdarts::TrainerOptions::nb201()
                          : isdarts::TrainerOptions::darts();
}

/// Returns the values of a preset for a space: "paper" is the published
/// training, "quick" a few epochs on a subset for a 2-core machine.
Settings preset_values(const std::string& space, const std::string& preset) {
  auto training = published_training(space);
  Settings values;
  values.epochs = training.epochs();
  values.batch_size = training.batch_size();
  values.learning_rate = training.learning_rate();
  values.auxiliary_weight = training.auxiliary_weight();
  values.drop_path = training.drop_path();
  values.cutout = training.cutout();
  if (space == "nb201") {
    values.channels = isdarts::nb201_network_options().channels();
    values.cells = isdarts::nb201_network_options().cells();
    if (preset == "quick") {
      values.epochs = 5;
      values.train_images = 5000;
      values.test_images = 2000;
      values.batch_size = 64;
      values.learning_rate = 0.05;
    }
  } else {
    values.channels = isdarts::DartsNetworkOptions().channels();
    values.cells = isdarts::DartsNetworkOptions().cells();
    if (preset == "quick") {
      values.epochs = 3;
      values.channels = 16;
      values.cells = 8;
      values.train_images = 2000;
      values.test_images = 1000;
      values.batch_size = 64;
    }
  }
  return values;
}

/// Applies the preset to every option that the command line did not set.
void apply_preset(Settings& s, const CLI::App& app) {
  Settings preset = preset_values(s.space, s.preset);
  auto take = [&](const char* flag, auto& field, const auto& value) {
    if (app.count(flag) == 0) field = value;
  };
  take("--epochs", s.epochs, preset.epochs);
  take("--train-images", s.train_images, preset.train_images);
  take("--test-images", s.test_images, preset.test_images);
  take("--channels", s.channels, preset.channels);
  take("--cells", s.cells, preset.cells);
  take("--batch-size", s.batch_size, preset.batch_size);
  take("--learning-rate", s.learning_rate, preset.learning_rate);
  take("--auxiliary-weight", s.auxiliary_weight, preset.auxiliary_weight);
  take("--drop-path", s.drop_path, preset.drop_path);
  take("--cutout", s.cutout, preset.cutout);
}

/// Reads the space and the genotype string of a search report. Raises
/// InvalidArgument when the file is missing or is not such a report.
void read_report(Settings& s, bool space_given) {
  if (std::filesystem::is_directory(s.report)) {
    throw isdarts::InvalidArgument(fmt::format(
        "report '{}' is a folder; pass the --output file of isdarts-search",
        s.report));
  }
  std::ifstream in(s.report);
  if (!in) {
    throw isdarts::InvalidArgument(fmt::format(
        "cannot open the report '{}'; pass the --output file of "
        "isdarts-search",
        s.report));
  }
  nlohmann::json report;
  try {
    in >> report;
  } catch (const std::exception& e) {
    throw isdarts::InvalidArgument(fmt::format(
        "report '{}' is not valid JSON ({}); pass the --output file of "
        "isdarts-search",
        s.report, e.what()));
  }
  for (const char* key : {"space", "genotype_string"}) {
    if (!report.is_object() || !report.contains(key)) {
      throw isdarts::InvalidArgument(fmt::format(
          "report '{}' has no '{}'; pass the --output file of isdarts-search",
          s.report, key));
    }
    if (!report[key].is_string()) {
      throw isdarts::InvalidArgument(fmt::format(
          "report '{}': '{}' is a {}, not a string; pass the --output file of "
          "isdarts-search",
          s.report, key, report[key].type_name()));
    }
  }
  auto space = report["space"].get<std::string>();
  if (space_given && space != s.space) {
    throw isdarts::InvalidArgument(fmt::format(
        "report '{}' contains a {} genotype, but --space is {}; drop --space or "
        "pass a {} report",
        s.report, space, s.space, s.space));
  }
  if (space != "nb201" && space != "darts") {
    throw isdarts::InvalidArgument(fmt::format(
        "report '{}' names the unknown space '{}'; use a report of space "
        "nb201 or darts",
        s.report, space));
  }
  s.space = space;
  s.genotype = report["genotype_string"].get<std::string>();
}

/// Key of the genotype string stored beside the weights. The NAS-Bench-201
/// network contains every candidate's weights, so the weights alone would load
/// into any genotype's network.
constexpr const char* kGenotypeKey = "isdarts_genotype";

/// Writes the network's weights and its genotype through a temporary file,
/// so that an existing file is replaced whole or not at all.
template <class Network>
void save_weights(Network& network, const std::string& genotype,
                  const std::string& path) {
  auto temporary = path + ".tmp";
  try {
    torch::serialize::OutputArchive archive;
    network->save(archive);
    archive.write(kGenotypeKey, c10::IValue(genotype));
    archive.save_to(temporary);
  } catch (const c10::Error& e) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw isdarts::Error(fmt::format(
        "cannot write the weights to '{}'; check that its folder exists and "
        "is writable ({})",
        path, e.what_without_backtrace()));
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    throw isdarts::Error(
        fmt::format("cannot write the weights to '{}': {}", path,
                    error.message()));
  }
}

/// Loads weights that `save_weights` wrote for `genotype`. Raises Error when
/// the file is missing, unreadable, or belongs to another genotype or size.
template <class Network>
void load_weights(Network& network, const std::string& genotype,
                  const std::string& path) {
  if (!std::filesystem::exists(path)) {
    throw isdarts::Error(fmt::format(
        "weights file '{}' does not exist; pass a file that isdarts-train "
        "saved with --save",
        path));
  }
  if (!std::filesystem::is_regular_file(path)) {
    throw isdarts::Error(fmt::format(
        "weights path '{}' is not a file; pass a file that isdarts-train "
        "saved with --save",
        path));
  }
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    c10::IValue stored;
    if (!archive.try_read(kGenotypeKey, stored) || !stored.isString()) {
      throw isdarts::Error(fmt::format(
          "weights file '{}' records no genotype; pass a file that "
          "isdarts-train saved with --save",
          path));
    }
    if (stored.toStringRef() != genotype) {
      throw isdarts::Error(fmt::format(
          "weights file '{}' belongs to the genotype {}, not {}; pass that "
          "genotype or the weights of this one",
          path, stored.toStringRef(), genotype));
    }
    network->load(archive);
  } catch (const c10::Error& e) {
    throw isdarts::Error(fmt::format(
        "cannot load the weights '{}' into this network; check that "
        "--channels and --cells match the training run ({})",
        path, e.what_without_backtrace()));
  }
}

nlohmann::json train_report(const Settings& s,
                            const isdarts::TrainResult& result,
                            int64_t parameters) {
  auto epochs = nlohmann::json::array();
  for (const auto& e : result.epochs) {
    epochs.push_back({{"epoch", e.epoch},
                      {"loss", e.loss},
                      {"train_accuracy", e.train_accuracy},
                      {"test_loss", e.test_loss},
                      {"test_accuracy", e.test_accuracy},
                      {"learning_rate", e.learning_rate},
                      {"drop_path", e.drop_path},
                      {"images_per_second", e.images_per_second},
                      {"seconds", e.seconds}});
  }
  return {{"space", s.space},
          {"genotype_string", s.genotype},
          {"channels", s.channels},
          {"cells", s.cells},
          {"train_images", s.train_images},
          {"parameters", parameters},
          {"seed", s.seed},
          {"epochs", epochs},
          {"test_accuracy", result.test.accuracy},
          {"test_loss", result.test.loss},
          {"test_images", result.test.images},
          {"seconds", result.seconds},
          {"threads", result.threads},
          {"device", result.device},
          {"weights", s.save},
          {"versions",
           {{"isdarts", isdarts::version()},
            {"libtorch", isdarts::torch_version()}}}};
}

/// Trains `network`, or evaluates saved weights with --evaluate.
template <class Network>
int train(const Settings& s, Network network, const std::string& genotype,
          const std::string& description,
          const isdarts::TrainerOptions& options) {
  int64_t parameters = 0;
  if constexpr (std::is_same_v<Network, isdarts::Nb201Supernet>) {
    parameters = isdarts::count_nb201_parameters(network);
  } else {
    parameters = isdarts::count_parameters(*network);
  }
  fmt::print("parameters: {:.2f} M\n", static_cast<double>(parameters) / 1e6);
  fmt::print("network: {}, genotype {}\n", description, genotype);
  std::fflush(stdout);

  auto dir = isdarts::data::resolve_cifar10_dir(s.data_dir);
  auto test = isdarts::data::load_cifar10(
      dir, isdarts::data::Split::kTest, s.test_images > 0 ? s.test_images : -1);
  isdarts::Trainer<Network> trainer(network, options);

  if (!s.evaluate.empty()) {
    load_weights(network, genotype, s.evaluate);
    at::set_num_threads(
        static_cast<int>(isdarts::detail::resolve_threads(s.threads)));
    network->to(options.device());
    auto evaluation = trainer.evaluate(test);
    fmt::print("evaluation of '{}': test accuracy {:.2f}%, loss {:.4f}, {} "
               "images, {:.1f} s\n",
               s.evaluate, 100.0 * evaluation.accuracy, evaluation.loss,
               evaluation.images, evaluation.seconds);
    if (!s.output.empty()) {
      nlohmann::json report = {{"space", s.space},
                               {"genotype_string", genotype},
                               {"channels", s.channels},
                               {"cells", s.cells},
                               {"parameters", parameters},
                               {"weights", s.evaluate},
                               {"test_accuracy", evaluation.accuracy},
                               {"test_loss", evaluation.loss},
                               {"test_images", evaluation.images},
                               {"seconds", evaluation.seconds}};
      isdarts::write_json(report, s.output);
      fmt::print("report: {}\n", s.output);
    }
    return 0;
  }

  auto train = isdarts::data::load_cifar10(
      dir, isdarts::data::Split::kTrain,
      s.train_images > 0 ? s.train_images : -1);
  fmt::print("data: {} training and {} test images from {}\n", train.size(),
             test.size(), dir.string());
  auto result = trainer.run(train, test);

  if (!s.save.empty()) {
    network->to(torch::kCPU);
    save_weights(network, genotype, s.save);
    fmt::print("weights: {}\n", s.save);
  }
  if (!s.output.empty()) {
    isdarts::write_json(train_report(s, result, parameters), s.output);
    fmt::print("report: {}\n", s.output);
  }
  return 0;
}

int dispatch(const Settings& s) {
  auto options = published_training(s.space)
                     .epochs(s.epochs)
                     .batch_size(s.batch_size)
                     .learning_rate(s.learning_rate)
                     .auxiliary_weight(s.auxiliary_weight)
                     .drop_path(s.drop_path)
                     .cutout(s.cutout)
                     .seed(s.seed)
                     .threads(s.threads)
                     .device(torch::Device(s.device));
  if (s.space == "nb201") {
    auto genotype = isdarts::NB201Space::parse_genotype(s.genotype);
    torch::manual_seed(s.seed);
    auto network = isdarts::make_nb201_network(
        genotype,
        isdarts::nb201_network_options().channels(s.channels).cells(s.cells));
    return train(s, network, isdarts::NB201Space::format_genotype(genotype),
                 fmt::format("NAS-Bench-201, C = {}, N = {}", s.channels,
                             s.cells),
                 options);
  }
  auto genotype = isdarts::DartsSpace::parse_genotype(s.genotype);
  torch::manual_seed(s.seed);
  isdarts::DartsNetwork network(genotype, isdarts::DartsNetworkOptions()
                                              .channels(s.channels)
                                              .cells(s.cells)
                                              .auxiliary(s.auxiliary_weight >
                                                         0.0));
  auto text = isdarts::DartsSpace::format_genotype(genotype);
  return train(
      s, network, text,
      fmt::format("DARTS, C = {}, {} cells", s.channels, s.cells), options);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Train the evaluation network of a found cell on CIFAR-10 from "
      "scratch",
      "isdarts-train"};
  Settings s;
  app.add_option("--space", s.space,
                 "Search space of the genotype: nb201 or darts; default: the "
                 "report's, else nb201 for a genotype that starts with '|', "
                 "else darts")
      ->check(CLI::IsMember({"nb201", "darts"}));
  auto* genotype = app.add_option(
      "--genotype", s.genotype,
      "The cell: the benchmark string for nb201, Genotype(...) for darts");
  auto* report = app.add_option("--report", s.report,
                                "JSON report of isdarts-search to take the "
                                "space and the genotype from");
  genotype->excludes(report);
  report->excludes(genotype);
  app.add_option("--preset", s.preset,
                 "paper: the published training of the space; quick: a few "
                 "epochs on a subset, for a 2-core machine (paper)")
      ->check(CLI::IsMember({"paper", "quick"}));
  app.add_option("--data", s.data_dir,
                 "CIFAR-10 folder (cifar-10-batches-bin or its parent); "
                 "default $ISDARTS_CIFAR10_DIR");
  app.add_option("--save", s.save,
                 "File for the trained weights; empty saves none "
                 "(network.pt)")
      ->default_val("network.pt");
  app.add_option("--evaluate", s.evaluate,
                 "Evaluate the weights in this file on the test images "
                 "instead of training");
  app.add_option("--output", s.output, "JSON report of the training to write");
  app.add_option("--epochs", s.epochs,
                 "Training epochs (paper: 600 for darts, 200 for nb201)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000}));
  app.add_option("--train-images", s.train_images,
                 "Use only the first N training images; 0 uses all (paper: "
                 "0)")
      ->check(CLI::Range(int64_t{0}, int64_t{50000}));
  app.add_option("--test-images", s.test_images,
                 "Evaluate on the first N test images; 0 uses all (paper: 0)")
      ->check(CLI::Range(int64_t{0}, int64_t{10000}));
  app.add_option("--channels", s.channels,
                 "Channels of the first cells, C (paper: 36 for darts, 16 "
                 "for nb201)")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}));
  app.add_option("--cells", s.cells,
                 "Cells: in all for darts (paper: 20), per stage N for "
                 "nb201 (paper: 5)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000}));
  app.add_option("--batch-size", s.batch_size,
                 "Images per batch (paper: 96 for darts, 256 for nb201)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000}));
  app.add_option("--learning-rate", s.learning_rate,
                 "Initial SGD learning rate, cosine-decayed to 0 (paper: "
                 "0.025 for darts, 0.1 for nb201)")
      ->check(isdarts_cli::kPositive);
  app.add_option("--auxiliary-weight", s.auxiliary_weight,
                 "Weight of the auxiliary classifier's loss; 0 removes the "
                 "head (paper: 0.4 for darts, 0 for nb201)")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--drop-path", s.drop_path,
                 "Maximum drop-path probability p, in [0, 1): epoch e of E "
                 "(from 0) uses p * e / E (paper: 0.2 for darts, 0 for "
                 "nb201)")
      ->check(CLI::Range(0.0, 0.999));
  app.add_option("--cutout", s.cutout,
                 "Side of the Cutout square in pixels; 0 disables it (paper: "
                 "16 for darts, 0 for nb201)")
      ->check(CLI::Range(int64_t{0}, int64_t{32}));
  app.add_option("--seed", s.seed, "Random seed, 0 or more (0)")
      ->check(isdarts_cli::kNonNegative);
  app.add_option("--threads", s.threads,
                 "CPU threads; 0 uses every hardware thread (0)")
      ->check(CLI::Range(int64_t{0}, int64_t{4096}));
  app.add_option("--device", s.device, "cpu or cuda (cpu)")
      ->check(CLI::IsMember({"cpu", "cuda"}));

  auto parse = [&] {
    app.parse(argc, argv);
    bool space_given = app.count("--space") > 0;
    if (!s.report.empty()) read_report(s, space_given);
    if (s.space.empty()) {
      s.space = s.genotype.rfind('|', 0) == 0 ? "nb201" : "darts";
    }
    if (s.genotype.empty()) {
      throw isdarts::InvalidArgument(
          "no cell given; pass --genotype STRING or --report FILE from "
          "isdarts-search");
    }
    apply_preset(s, app);
    s.data_dir = isdarts_cli::value_or_env(s.data_dir, "ISDARTS_CIFAR10_DIR");
    if (s.data_dir.empty()) {
      throw isdarts::InvalidArgument(
          "no CIFAR-10 folder given; pass --data DIR or set "
          "ISDARTS_CIFAR10_DIR");
    }
    if (!s.evaluate.empty() && app.count("--save") > 0) {
      throw isdarts::InvalidArgument(
          "--save applies to training; drop it when evaluating with "
          "--evaluate");
    }
    isdarts::check_output_path(s.evaluate.empty() ? s.save : "", "--save");
    isdarts::check_output_path(s.output, "--output");
    isdarts_cli::check_device(s.device);
    if (s.space == "darts") {
      isdarts::nn::check_darts_network_size(s.channels, s.cells, 10);
    }
  };
  return isdarts_cli::run_program(app, parse, [&] { return dispatch(s); });
}
