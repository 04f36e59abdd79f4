// isdarts-bench: training throughput, importance-measurement time and peak
// memory of the search spaces' networks, on random images.
//
// Each configuration runs in a child process of its own, so that the peak
// resident memory it reports (VmHWM) belongs to that configuration alone.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "isdarts/isdarts.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Peak resident memory of this process in MiB, from /proc/self/status.
double peak_resident_mib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      double kib = 0;
      status >> kib;
      return kib / 1024.0;
    }
  }
  return 0.0;
}

struct BenchSettings {
  int64_t iterations = 10;
  int64_t threads = 0;
  std::string device = "cpu";
  bool channels_last = true;
};

/// Returns random normalized-scale images [count, 3, 32, 32] in the layout
/// of `s`.
torch::Tensor random_images(int64_t count, const BenchSettings& s) {
  auto images = torch::randn({count, 3, 32, 32}, torch::Device(s.device));
  return s.channels_last
             ? images.contiguous(torch::MemoryFormat::ChannelsLast)
             : images;
}

/// Returns the images per second of `step`, which trains on one batch of
/// `batch` images: one warm-up step, then `s.iterations` timed steps.
double training_images_per_second(const std::function<void()>& step,
                                  int64_t batch, const BenchSettings& s) {
  torch::Device device(s.device);
  step();  // warm-up
  if (device.is_cuda()) torch::cuda::synchronize();
  auto start = Clock::now();
  for (int64_t i = 0; i < s.iterations; ++i) step();
  if (device.is_cuda()) torch::cuda::synchronize();
  return static_cast<double>(batch * s.iterations) / seconds_since(start);
}

/// Images per second of SGD training steps on `net` with batches of
/// `batch` random images.
template <class Net>
double training_rate(Net& net, int64_t batch, const BenchSettings& s) {
  torch::Device device(s.device);
  torch::optim::SGD optimizer(
      net->parameters(),
      torch::optim::SGDOptions(0.025).momentum(0.9).nesterov(true)
          .weight_decay(5e-4));
  auto images = random_images(batch, s);
  auto labels = torch::randint(0, 10, {batch},
                               torch::TensorOptions(device).dtype(torch::kLong));
  auto step = [&] {
    isdarts::detail::clear_gradients(optimizer);
    auto loss = torch::nn::functional::cross_entropy(
        net->forward(images, torch::Tensor()), labels);
    loss.backward();
    torch::nn::utils::clip_grad_norm_(net->parameters(), 5.0);
    optimizer.step();
  };
  return training_images_per_second(step, batch, s);
}

/// Seconds to measure IIM on `count` images of a supernet.
template <class Net>
double measure_seconds(Net& net, int64_t count, int64_t batch,
                       const BenchSettings& s) {
  torch::Device device(s.device);
  auto images = random_images(count, s);
  auto start = Clock::now();
  isdarts::MeasureContext context(
      net->mask(), 1, 0, [&](const auto& visit) {
        isdarts::detail::probe_outputs(net, images, batch, torch::Tensor(),
                                       visit);
      });
  isdarts::IIMMetric().importance(context);
  if (device.is_cuda()) torch::cuda::synchronize();
  return seconds_since(start);
}

/// One NAS-Bench-201 supernet: all candidates kept, then one per edge.
void bench_nb201(const std::string& label, int64_t channels, int64_t cells,
                 int64_t batch, const BenchSettings& s) {
  torch::Device device(s.device);
  isdarts::NB201Space space(
      isdarts::NB201Space::Options().channels(channels).cells(cells));
  auto net = space.make_supernet();
  net->to(device);
  if (s.channels_last) isdarts::detail::to_channels_last(*net);
  auto all_rate = training_rate(net, batch, s);
  auto measure = measure_seconds(net, 200, batch, s);
  net->set_mask(space.mask_of(space.parse_genotype(
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
      "nor_conv_3x3~1|nor_conv_3x3~2|")));
  auto one_rate = training_rate(net, batch, s);
  fmt::print(
      "{:<14} C={:<3} N={:<2} batch {:<3}  all kept {:7.1f} images/s  one "
      "per edge {:7.1f} images/s  IIM on 200 images {:6.2f} s  peak memory "
      "{:7.1f} MiB\n",
      label, channels, cells, batch, all_rate, one_rate, measure,
      peak_resident_mib());
}

/// The DARTS search network (C = 16, 8 cells) with all candidates kept:
/// training rate, IIM on 600 images as in the published DARTS-space setting,
/// and peak memory.
void bench_darts_search(const std::string& label, int64_t channels,
                        int64_t cells, int64_t batch,
                        const BenchSettings& s) {
  torch::Device device(s.device);
  isdarts::DartsSpace space(
      isdarts::DartsSpace::Options().channels(channels).cells(cells));
  auto net = space.make_supernet();
  net->to(device);
  if (s.channels_last) isdarts::detail::to_channels_last(*net);
  auto rate = training_rate(net, batch, s);
  auto measure = measure_seconds(net, 600, batch, s);
  fmt::print(
      "{:<14} C={:<3} {:>2} cells batch {:<3}  all kept {:7.1f} images/s  "
      "IIM on 600 images {:6.2f} s  peak memory {:7.1f} MiB\n",
      label, channels, cells, batch, rate, measure, peak_resident_mib());
}

/// The DARTS evaluation network of the DARTS V2 cell (C = 36, 20 cells)
/// trained with the auxiliary loss (weight 0.4) and drop path 0.2.
void bench_darts_eval(const std::string& label, int64_t channels,
                      int64_t cells, int64_t batch, const BenchSettings& s) {
  torch::Device device(s.device);
  isdarts::DartsNetwork net(
      isdarts::darts_v2_genotype(),
      isdarts::DartsNetworkOptions().channels(channels).cells(cells));
  net->to(device);
  if (s.channels_last) isdarts::detail::to_channels_last(*net);
  net->train();
  net->set_drop_path_probability(0.2);
  torch::optim::SGD optimizer(
      net->parameters(),
      torch::optim::SGDOptions(0.025).momentum(0.9).weight_decay(3e-4));
  auto images = random_images(batch, s);
  auto labels = torch::randint(0, 10, {batch},
                               torch::TensorOptions(device).dtype(torch::kLong));
  auto step = [&] {
    isdarts::detail::clear_gradients(optimizer);
    auto output = net->forward_training(images);
    auto loss =
        torch::nn::functional::cross_entropy(output.logits, labels) +
        0.4 * torch::nn::functional::cross_entropy(output.auxiliary_logits,
                                                   labels);
    loss.backward();
    torch::nn::utils::clip_grad_norm_(net->parameters(), 5.0);
    optimizer.step();
  };
  auto rate = training_images_per_second(step, batch, s);
  fmt::print(
      "{:<14} C={:<3} {:>2} cells batch {:<3}  DARTS V2, {:.2f} M parameters "
      "{:7.1f} images/s  peak memory {:7.1f} MiB\n",
      label, channels, cells, batch,
      static_cast<double>(isdarts::count_parameters(*net)) / 1e6, rate,
      peak_resident_mib());
}

std::map<std::string, std::function<void(const BenchSettings&)>> configs() {
  return {
      {"nb201-paper",
       [](const BenchSettings& s) { bench_nb201("nb201-paper", 16, 5, 64, s); }},
      {"nb201-quick",
       [](const BenchSettings& s) { bench_nb201("nb201-quick", 8, 1, 64, s); }},
      {"darts-search",
       [](const BenchSettings& s) {
         bench_darts_search("darts-search", 16, 8, 64, s);
       }},
      {"darts-quick",
       [](const BenchSettings& s) {
         bench_darts_search("darts-quick", 8, 5, 64, s);
       }},
      {"darts-eval",
       [](const BenchSettings& s) {
         bench_darts_eval("darts-eval", 36, 20, 96, s);
       }},
  };
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Measure training throughput, importance-measurement time and "
               "peak memory of the isdarts networks"};
  BenchSettings s;
  std::string config = "all";
  std::string names;
  for (const auto& entry : configs()) names += ", " + entry.first;
  app.add_option("--config", config,
                 "Configuration to run: all" + names + " (all)")
      ->default_val("all");
  app.add_option("--iterations", s.iterations,
                 "Timed training steps per measurement (10)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000}));
  app.add_option("--threads", s.threads,
                 "CPU threads; 0 uses every hardware thread (0)")
      ->check(CLI::Range(int64_t{0}, int64_t{4096}));
  app.add_option("--device", s.device, "cpu or cuda (cpu)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--channels-last", s.channels_last,
                 "Channels-last memory layout, true or false (true)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "isdarts-bench: {}; run with --help\n", e.what());
    return 2;
  }

  auto all = configs();
  if (config == "all") {
    fmt::print(
        "isdarts {} with LibTorch {}, {} threads, device {}, channels "
        "last {}\n",
        isdarts::version(), isdarts::torch_version(),
        isdarts::detail::resolve_threads(s.threads), s.device,
        s.channels_last);
    std::fflush(stdout);
    int failures = 0;
    auto self = std::filesystem::read_symlink("/proc/self/exe").string();
    for (const auto& entry : all) {
      auto command = fmt::format(
          "'{}' --config {} --iterations {} --threads {} --device {} "
          "--channels-last {}",
          self, entry.first, s.iterations, s.threads, s.device,
          s.channels_last);
      failures += std::system(command.c_str()) != 0 ? 1 : 0;
    }
    return failures == 0 ? 0 : 1;
  }
  auto found = all.find(config);
  if (found == all.end()) {
    fmt::print(stderr, "isdarts-bench: unknown configuration '{}'; use all",
               config);
    for (const auto& entry : all) fmt::print(stderr, ", {}", entry.first);
    fmt::print(stderr, "\n");
    return 2;
  }
  try {
    at::set_num_threads(
        static_cast<int>(isdarts::detail::resolve_threads(s.threads)));
    torch::manual_seed(0);
    found->second(s);
  } catch (const std::exception& e) {
    fmt::print(stderr, "isdarts-bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
