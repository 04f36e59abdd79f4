#pragma once

// Bodies of Searcher, included at the end of searcher.hpp.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <torch/torch.h>

#include "isdarts/error.hpp"

namespace isdarts {
namespace detail {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

inline void log_line(const SearchOptions& options, const std::string& line) {
  if (!options.verbose()) return;
  if (options.logger()) {
    options.logger()(line);
  } else {
    fmt::print("{}\n", line);
    std::fflush(stdout);
  }
}

/// Cosine decay from `max_rate` at epoch 0 towards `min_rate`, stepped once
/// per epoch.
inline double cosine_learning_rate(double max_rate, double min_rate,
                                   int64_t epoch, int64_t epochs) {
  const double pi = std::acos(-1.0);
  double progress = static_cast<double>(epoch) / static_cast<double>(epochs);
  return min_rate + 0.5 * (max_rate - min_rate) * (1.0 + std::cos(pi * progress));
}

inline void set_learning_rate(torch::optim::SGD& optimizer, double rate) {
  for (auto& group : optimizer.param_groups()) {
    static_cast<torch::optim::SGDOptions&>(group.options()).lr(rate);
  }
}

/// Drops every gradient, so that parameters of discarded candidates get none
/// and the optimizer leaves them alone.
inline void clear_gradients(torch::optim::Optimizer& optimizer) {
  for (auto& group : optimizer.param_groups()) {
    for (auto& parameter : group.params()) {
      if (parameter.grad().defined()) parameter.mutable_grad().reset();
    }
  }
}

/// Converts a module's 4-D parameters and buffers to the channels-last
/// layout in place, keeping the tensors that optimizers refer to.
inline void to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& parameter : module.parameters()) {
    if (parameter.dim() == 4) {
      parameter.set_data(
          parameter.contiguous(torch::MemoryFormat::ChannelsLast));
    }
  }
  for (auto& buffer : module.buffers()) {
    if (buffer.dim() == 4) {
      buffer.set_data(buffer.contiguous(torch::MemoryFormat::ChannelsLast));
    }
  }
}

/// `images` in the memory layout that the options ask for.
inline torch::Tensor to_layout(const torch::Tensor& images,
                               const SearchOptions& options) {
  return options.channels_last()
             ? images.contiguous(torch::MemoryFormat::ChannelsLast)
             : images;
}

inline int64_t resolve_threads(int64_t requested) {
  if (requested > 0) return requested;
  auto hardware = static_cast<int64_t>(std::thread::hardware_concurrency());
  return hardware > 0 ? hardware : 1;
}

/// Normalized images on which importance is measured: `count` training
/// images drawn without replacement by a generator seeded with `seed`.
inline torch::Tensor select_measure_images(const data::Cifar10& train,
                                           int64_t count, uint64_t seed) {
  std::vector<int64_t> order(static_cast<std::size_t>(train.size()));
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = static_cast<int64_t>(i);
  }
  std::mt19937_64 generator(seed ^ 0x9e3779b97f4a7c15ULL);
  for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i) {
    auto j = i + static_cast<std::size_t>(generator() % (order.size() - i));
    std::swap(order[i], order[j]);
  }
  order.resize(static_cast<std::size_t>(count));
  auto index = torch::tensor(order, torch::kInt64);
  return data::normalize(train.images.index_select(0, index));
}

/// Puts a supernet in evaluation mode with a probe, and back on exit.
template <class Supernet>
class ProbeScope {
 public:
  ProbeScope(Supernet& net, nn::OutputProbe probe) : net_(net) {
    net_->eval();
    net_->set_probe(std::move(probe));
  }
  ~ProbeScope() {
    net_->set_probe(nullptr);
    net_->train();
  }
  ProbeScope(const ProbeScope&) = delete;
  ProbeScope& operator=(const ProbeScope&) = delete;

 private:
  Supernet& net_;
};

/// Runs `images` through the supernet in batches of at most `batch_size`,
/// of near-equal size so that batch statistics are never taken on a tiny
/// remainder, and shows every kept candidate's output to `visit`.
template <class Supernet>
void probe_outputs(Supernet& net, const torch::Tensor& images,
                   int64_t batch_size, const torch::Tensor& edge_weights,
                   const MeasureContext::OutputVisitor& visit) {
  torch::NoGradGuard no_grad;
  ProbeScope<Supernet> scope(net, visit);
  int64_t total = images.size(0);
  int64_t batches = (total + batch_size - 1) / batch_size;
  int64_t begin = 0;
  for (int64_t b = 0; b < batches; ++b) {
    int64_t size = total / batches + (b < total % batches ? 1 : 0);
    net->forward(images.narrow(0, begin, size), edge_weights);
    begin += size;
  }
}

inline std::string edge_label(const EdgeInfo& edge) {
  return fmt::format("{}{}<-{}", edge.cell_kind == 0 ? "" : "reduce ",
                     edge.to, edge.from);
}

/// Discards, in each comparison subset, the least important kept candidates
/// down to the count the schedule allows after `step`.
template <class Schedule>
std::vector<DiscardedCandidate> discard_least_important(
    Mask& mask, const torch::Tensor& importance,
    const std::vector<ComparisonSubset>& subsets, const Schedule& schedule,
    int64_t step, bool larger_is_more_important,
    const std::vector<EdgeInfo>& edges,
    const std::vector<std::string>& candidates) {
  auto values = importance.to(torch::kCPU, torch::kFloat64).contiguous();
  auto value = values.accessor<double, 2>();
  std::vector<DiscardedCandidate> discarded;

  for (const auto& subset : subsets) {
    auto target = schedule.kept(step, static_cast<int64_t>(subset.members.size()),
                                subset.survivors);
    std::vector<std::pair<int64_t, int64_t>> kept;
    for (const auto& member : subset.members) {
      if (mask.kept(member.first, member.second)) kept.push_back(member);
    }
    if (static_cast<int64_t>(kept.size()) <= target) continue;

    // Least important first; a NaN (undefined) value ranks below all others.
    auto rank = [&](const std::pair<int64_t, int64_t>& m) {
      double v = value[m.first][m.second];
      if (std::isnan(v)) return -std::numeric_limits<double>::infinity();
      return larger_is_more_important ? v : -v;
    };
    std::stable_sort(kept.begin(), kept.end(),
                     [&](const auto& a, const auto& b) {
                       return rank(a) < rank(b);
                     });

    auto count = static_cast<int64_t>(kept.size()) - target;
    for (int64_t i = 0; i < count; ++i) {
      const auto& m = kept[static_cast<std::size_t>(i)];
      mask.discard(m.first, m.second);
      discarded.push_back(DiscardedCandidate{
          subset.label, m.first,
          edge_label(edges[static_cast<std::size_t>(m.first)]),
          candidates[static_cast<std::size_t>(m.second)],
          value[m.first][m.second]});
    }
  }
  return discarded;
}

inline std::string format_shrink_line(const ShrinkRecord& record,
                                      int64_t num_steps) {
  std::string line = fmt::format(
      "shrink step {}/{} after epoch {}: measured in {:.2f} s, {} candidates "
      "kept; discarded, with importance:",
      record.step, num_steps, record.epoch, record.measure_seconds,
      record.kept_after);
  // Grouped by edge for reading; the record keeps the order of discarding.
  auto discarded = record.discarded;
  std::stable_sort(discarded.begin(), discarded.end(),
                   [](const auto& a, const auto& b) { return a.edge < b.edge; });
  std::string last_edge;
  for (const auto& d : discarded) {
    if (d.edge_label != last_edge) {
      line += fmt::format(" | edge {}:", d.edge_label);
      last_edge = d.edge_label;
    }
    line += fmt::format(" {} {:.4g}", d.operation, d.importance);
  }
  return line;
}

/// Next batch of an endless stream over `loader`, starting a new epoch of it
/// whenever one runs out.
inline data::Batch next_cycled(data::BatchLoader& loader, int64_t& epoch) {
  auto batch = loader.next();
  if (!batch) {
    loader.start_epoch(++epoch);
    batch = loader.next();
  }
  if (!batch) {
    throw Error("architecture data has no batch; give more training images");
  }
  return std::move(*batch);
}

}  // namespace detail

template <class Space, class Metric, class Schedule, class Subsets>
auto Searcher<Space, Metric, Schedule, Subsets>::run(
    const data::Cifar10& train) -> Result {
  using detail::Clock;
  constexpr bool bilevel = is_bilevel_metric<Metric>();
  const auto start = Clock::now();
  const auto& o = options_;

  // Validate the options together with the data and the schedule.
  if (o.epochs() < 1 || o.batch_size() < 1 || o.importance_images() < 1) {
    throw InvalidArgument(fmt::format(
        "epochs ({}), batch size ({}) and importance images ({}) must all be "
        "at least 1",
        o.epochs(), o.batch_size(), o.importance_images()));
  }
  int64_t minimum_images = bilevel ? 2 : 1;
  if (train.size() < std::max(minimum_images, o.importance_images())) {
    throw InvalidArgument(fmt::format(
        "the search has {} training images but measures importance on {}; "
        "give more training images or fewer importance images",
        train.size(), o.importance_images()));
  }
  if (o.device().is_cuda() && !torch::cuda::is_available()) {
    throw InvalidArgument(
        "device cuda was requested but LibTorch finds no CUDA device; use "
        "device cpu");
  }
  const auto& edges = space_.edges();
  const auto& candidates = space_.candidates();
  auto num_candidates = static_cast<int64_t>(candidates.size());
  auto subsets = subsets_.subsets(edges, num_candidates);
  for (const auto& subset : subsets) {
    schedule_.validate(o.epochs(), static_cast<int64_t>(subset.members.size()),
                       subset.survivors);
  }
  // A user's schedule that passes its own validation may still name epochs
  // that the loop never reaches, which would skip steps silently.
  int64_t previous_epoch = 0;
  for (int64_t step = 1; step <= schedule_.num_steps(); ++step) {
    auto epoch = schedule_.step_epoch(step, o.epochs());
    if (epoch <= previous_epoch || epoch > o.epochs()) {
      throw InvalidArgument(fmt::format(
          "schedule '{}' places shrink step {} after epoch {}, but steps "
          "must follow distinct, increasing epochs in [1, {}]; fix its "
          "step_epoch() or train more epochs",
          Schedule::name, step, epoch, o.epochs()));
    }
    previous_epoch = epoch;
  }

  Result result;
  result.threads = detail::resolve_threads(o.threads());
  result.device = o.device().str();
  at::set_num_threads(static_cast<int>(result.threads));
  torch::manual_seed(o.seed());

  // Build the supernet, its optimizer and, for bi-level metrics, the
  // architecture state.
  Mask mask(static_cast<int64_t>(edges.size()), num_candidates);
  supernet_ = space_.make_supernet();
  supernet_->to(o.device());
  if (o.channels_last()) detail::to_channels_last(*supernet_);
  supernet_->set_mask(mask);
  supernet_->train();
  if constexpr (detail::has_reset<Metric>::value) {
    metric_.reset(SearchSetup{static_cast<int64_t>(edges.size()),
                              num_candidates, candidates, o.seed(),
                              o.device()});
  }
  torch::optim::SGD optimizer(
      supernet_->parameters(),
      torch::optim::SGDOptions(o.learning_rate())
          .momentum(o.momentum())
          .nesterov(o.nesterov())
          .weight_decay(o.weight_decay()));
  std::unique_ptr<torch::optim::Optimizer> architecture_optimizer;
  if constexpr (bilevel) {
    architecture_optimizer = metric_.make_architecture_optimizer();
  }

  // Data: all training images train the weights, or the first half when the
  // second half trains the architecture parameters.
  auto loader_options = data::LoaderOptions()
                            .batch_size(o.batch_size())
                            .shuffle(true)
                            .augment(o.augment())
                            .seed(o.seed());
  int64_t half = train.size() / 2;
  data::BatchLoader loader(bilevel ? train.subset(0, half) : train,
                           loader_options);
  std::unique_ptr<data::BatchLoader> architecture_loader;
  int64_t architecture_epoch = 0;
  if constexpr (bilevel) {
    architecture_loader = std::make_unique<data::BatchLoader>(
        train.subset(half, train.size()),
        data::LoaderOptions(loader_options).seed(o.seed() + 1));
    architecture_loader->start_epoch(architecture_epoch);
  }
  auto measure_images = detail::to_layout(
      detail::select_measure_images(train, o.importance_images(), o.seed())
          .to(o.device()),
      o);

  detail::log_line(
      o, fmt::format("search: space {}, metric {}, schedule {}, {} training "
                     "images, {} epochs, batch {}, {} shrink steps, {} "
                     "threads, device {}, seed {}",
                     Space::name, Metric::name, Schedule::name, train.size(),
                     o.epochs(), o.batch_size(), schedule_.num_steps(),
                     result.threads, result.device, o.seed()));

  int64_t step = 1;
  for (int64_t epoch = 1; epoch <= o.epochs(); ++epoch) {
    // One epoch of weight training (and architecture training if bi-level).
    const auto epoch_start = Clock::now();
    double rate = detail::cosine_learning_rate(
        o.learning_rate(), o.min_learning_rate(), epoch - 1, o.epochs());
    detail::set_learning_rate(optimizer, rate);
    loader.start_epoch(epoch);
    auto loss_sum = torch::zeros({}, torch::TensorOptions(o.device())
                                         .dtype(torch::kFloat64));
    auto correct = torch::zeros({}, torch::TensorOptions(o.device())
                                        .dtype(torch::kInt64));
    int64_t seen = 0;
    while (auto batch = loader.next()) {
      auto images = detail::to_layout(
          batch->images.to(o.device(), /*non_blocking=*/true), o);
      auto labels = batch->labels.to(o.device(), /*non_blocking=*/true);
      torch::Tensor weights;
      if constexpr (bilevel) {
        auto arch = detail::next_cycled(*architecture_loader,
                                        architecture_epoch);
        architecture_optimizer->zero_grad();
        auto arch_logits = supernet_->forward(
            detail::to_layout(arch.images.to(o.device()), o),
            metric_.mixing_weights(mask));
        torch::nn::functional::cross_entropy(arch_logits,
                                             arch.labels.to(o.device()))
            .backward();
        architecture_optimizer->step();
        weights = metric_.mixing_weights(mask).detach();
      }
      detail::clear_gradients(optimizer);
      auto logits = supernet_->forward(images, weights);
      auto loss = torch::nn::functional::cross_entropy(logits, labels);
      loss.backward();
      torch::nn::utils::clip_grad_norm_(supernet_->parameters(),
                                        o.grad_clip());
      optimizer.step();

      auto size = images.size(0);
      loss_sum += loss.detach().to(torch::kFloat64) * static_cast<double>(size);
      correct += logits.argmax(1).eq(labels).sum();
      seen += size;
    }
    if (seen == 0) {
      throw Error("an epoch saw no training image; give more training images");
    }

    EpochRecord record;
    record.epoch = epoch;
    record.seconds = detail::seconds_since(epoch_start);
    record.loss = loss_sum.item<double>() / static_cast<double>(seen);
    record.train_accuracy =
        static_cast<double>(correct.item<int64_t>()) / static_cast<double>(seen);
    record.learning_rate = rate;
    record.images_per_second = static_cast<double>(seen) / record.seconds;
    if (!std::isfinite(record.loss)) {
      throw Error(fmt::format(
          "training diverged at epoch {} (loss {}); lower the learning rate",
          epoch, record.loss));
    }
    result.epochs.push_back(record);
    detail::log_line(
        o, fmt::format("epoch {:>3}/{}  loss {:.4f}  train accuracy {:6.2f}%  "
                       "lr {:.5f}  {:.0f} images/s  {:.1f} s",
                       epoch, o.epochs(), record.loss,
                       100.0 * record.train_accuracy, rate,
                       record.images_per_second, record.seconds));

    // Shrink steps scheduled after this epoch.
    while (step <= schedule_.num_steps() &&
           schedule_.step_epoch(step, o.epochs()) == epoch) {
      const auto measure_start = Clock::now();
      torch::Tensor weights;
      if constexpr (bilevel) weights = metric_.mixing_weights(mask).detach();
      auto runner = [&](const MeasureContext::OutputVisitor& visit) {
        detail::probe_outputs(supernet_, measure_images, o.batch_size(),
                              weights, visit);
      };
      MeasureContext context(mask, step, o.seed(), runner);
      auto importance = metric_.importance(context);

      ShrinkRecord shrink;
      shrink.step = step;
      shrink.epoch = epoch;
      shrink.measure_seconds = detail::seconds_since(measure_start);
      shrink.discarded = detail::discard_least_important(
          mask, importance, subsets, schedule_, step,
          larger_is_more_important<Metric>(), edges, candidates);
      shrink.kept_after = mask.total_kept();
      supernet_->set_mask(mask);
      result.shrink_steps.push_back(shrink);
      detail::log_line(o, detail::format_shrink_line(shrink,
                                                     schedule_.num_steps()));
      ++step;
    }
  }

  result.mask = mask;
  result.genotype = space_.derive(mask);
  result.search_seconds = detail::seconds_since(start);
  detail::log_line(
      o, fmt::format("search finished in {:.1f} s: {}", result.search_seconds,
                     Space::format_genotype(result.genotype)));
  return result;
}

}  // namespace isdarts
