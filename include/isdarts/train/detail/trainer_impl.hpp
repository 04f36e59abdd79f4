#pragma once

// Bodies of Trainer, included at the end of train/trainer.hpp.

#include <cmath>
#include <cstdio>
#include <string>
#include <type_traits>
#include <utility>

#include <fmt/format.h>
#include <torch/torch.h>

#include "isdarts/error.hpp"
#include "isdarts/searcher.hpp"

namespace isdarts {
namespace detail {

template <class T, class = void>
struct has_forward_training : std::false_type {};
template <class T>
struct has_forward_training<
    T, std::void_t<decltype(std::declval<T&>()->forward_training(
           std::declval<const torch::Tensor&>()))>> : std::true_type {};

template <class T, class = void>
struct has_drop_path : std::false_type {};
template <class T>
struct has_drop_path<
    T, std::void_t<decltype(std::declval<T&>()->set_drop_path_probability(
           0.0))>> : std::true_type {};

inline void log_training_line(const TrainerOptions& options,
                              const std::string& line) {
  if (!options.verbose()) return;
  if (options.logger()) {
    options.logger()(line);
  } else {
    fmt::print("{}\n", line);
    std::fflush(stdout);
  }
}

inline void validate_trainer_options(const TrainerOptions& o) {
  if (o.epochs() < 1 || o.batch_size() < 1) {
    throw InvalidArgument(fmt::format(
        "epochs ({}) and batch size ({}) must both be at least 1", o.epochs(),
        o.batch_size()));
  }
  if (!(o.learning_rate() > 0.0) || o.min_learning_rate() < 0.0 ||
      o.min_learning_rate() > o.learning_rate()) {
    throw InvalidArgument(fmt::format(
        "learning rate {} decaying to {} is invalid; use a positive rate and "
        "a minimum between 0 and it",
        o.learning_rate(), o.min_learning_rate()));
  }
  if (o.momentum() < 0.0 || o.weight_decay() < 0.0 || o.grad_clip() < 0.0 ||
      o.auxiliary_weight() < 0.0) {
    throw InvalidArgument(fmt::format(
        "momentum ({}), weight decay ({}), gradient clipping ({}) and "
        "auxiliary weight ({}) must not be negative",
        o.momentum(), o.weight_decay(), o.grad_clip(), o.auxiliary_weight()));
  }
  if (!(o.drop_path() >= 0.0 && o.drop_path() < 1.0)) {
    throw InvalidArgument(fmt::format(
        "drop-path probability {} is outside [0, 1); use for example 0.2",
        o.drop_path()));
  }
  if (o.cutout() < 0 || o.cutout() > 32) {
    throw InvalidArgument(fmt::format(
        "Cutout side {} pixels is outside [0, 32]; use 16, or 0 to disable "
        "it",
        o.cutout()));
  }
  if (o.device().is_cuda() && !torch::cuda::is_available()) {
    throw InvalidArgument(
        "device cuda was requested but LibTorch finds no CUDA device; use "
        "device cpu");
  }
}

inline std::string format_epoch_line(const TrainEpochRecord& r,
                                     int64_t epochs) {
  return fmt::format(
      "epoch {:>3}/{}  loss {:.4f}  train accuracy {:6.2f}%  test accuracy "
      "{:6.2f}%  lr {:.5f}  drop path {:.3f}  {:.0f} images/s  {:.1f} s",
      r.epoch, epochs, r.loss, 100.0 * r.train_accuracy,
      100.0 * r.test_accuracy, r.learning_rate, r.drop_path,
      r.images_per_second, r.seconds);
}

}  // namespace detail

template <class Network>
Evaluation Trainer<Network>::evaluate(const data::Cifar10& images) {
  const auto start = detail::Clock::now();
  const auto device = options_.device();
  if (images.size() < 1) {
    throw InvalidArgument("evaluation needs at least one image");
  }
  data::BatchLoader loader(images, data::LoaderOptions()
                                       .batch_size(options_.batch_size())
                                       .shuffle(false)
                                       .augment(false));
  loader.start_epoch(0);

  torch::NoGradGuard no_grad;
  const bool was_training = network_->is_training();
  network_->eval();
  auto loss_sum =
      torch::zeros({}, torch::TensorOptions(device).dtype(torch::kFloat64));
  auto correct =
      torch::zeros({}, torch::TensorOptions(device).dtype(torch::kInt64));
  while (auto batch = loader.next()) {
    auto inputs = batch->images.to(device);
    auto labels = batch->labels.to(device);
    auto logits = network_->forward(inputs);
    auto loss = torch::nn::functional::cross_entropy(
        logits, labels,
        torch::nn::functional::CrossEntropyFuncOptions().reduction(
            torch::kSum));
    loss_sum += loss.to(torch::kFloat64);
    correct += logits.argmax(1).eq(labels).sum();
  }
  if (was_training) network_->train();

  Evaluation result;
  result.images = images.size();
  result.loss = loss_sum.item<double>() / static_cast<double>(images.size());
  result.accuracy = static_cast<double>(correct.item<int64_t>()) /
                    static_cast<double>(images.size());
  result.seconds = detail::seconds_since(start);
  return result;
}

template <class Network>
TrainResult Trainer<Network>::run(const data::Cifar10& train,
                                  const data::Cifar10& test) {
  using detail::Clock;
  constexpr bool has_auxiliary = detail::has_forward_training<Network>::value;
  constexpr bool has_drop_path = detail::has_drop_path<Network>::value;
  const auto start = Clock::now();
  const auto& o = options_;

  detail::validate_trainer_options(o);
  if (train.size() < 1 || test.size() < 1) {
    throw InvalidArgument(fmt::format(
        "training needs training and test images, got {} and {}",
        train.size(), test.size()));
  }

  TrainResult result;
  result.threads = detail::resolve_threads(o.threads());
  result.device = o.device().str();
  at::set_num_threads(static_cast<int>(result.threads));
  torch::manual_seed(o.seed());

  network_->to(o.device());
  network_->train();
  torch::optim::SGD optimizer(network_->parameters(),
                              torch::optim::SGDOptions(o.learning_rate())
                                  .momentum(o.momentum())
                                  .nesterov(o.nesterov())
                                  .weight_decay(o.weight_decay()));
  auto augment = data::AugmentOptions().cutout(o.cutout());
  data::BatchLoader loader(train, data::LoaderOptions()
                                      .batch_size(o.batch_size())
                                      .shuffle(true)
                                      .augment(o.augment())
                                      .augment_options(augment)
                                      .seed(o.seed()));

  detail::log_training_line(
      o, fmt::format("training: {} training images, {} test images, {} "
                     "epochs, batch {}, {} threads, device {}, seed {}",
                     train.size(), test.size(), o.epochs(), o.batch_size(),
                     result.threads, result.device, o.seed()));

  for (int64_t epoch = 1; epoch <= o.epochs(); ++epoch) {
    const auto epoch_start = Clock::now();
    TrainEpochRecord record;
    record.epoch = epoch;
    record.learning_rate = detail::cosine_learning_rate(
        o.learning_rate(), o.min_learning_rate(), epoch - 1, o.epochs());
    detail::set_learning_rate(optimizer, record.learning_rate);
    if constexpr (has_drop_path) {
      record.drop_path = o.drop_path() * static_cast<double>(epoch - 1) /
                         static_cast<double>(o.epochs());
      network_->set_drop_path_probability(record.drop_path);
    }

    loader.start_epoch(epoch);
    auto loss_sum = torch::zeros(
        {}, torch::TensorOptions(o.device()).dtype(torch::kFloat64));
    auto correct = torch::zeros(
        {}, torch::TensorOptions(o.device()).dtype(torch::kInt64));
    int64_t seen = 0;
    while (auto batch = loader.next()) {
      auto images = batch->images.to(o.device(), /*non_blocking=*/true);
      auto labels = batch->labels.to(o.device(), /*non_blocking=*/true);
      optimizer.zero_grad();
      torch::Tensor logits;
      torch::Tensor loss;
      if constexpr (has_auxiliary) {
        auto output = network_->forward_training(images);
        logits = output.logits;
        loss = torch::nn::functional::cross_entropy(logits, labels);
        if (output.auxiliary_logits.defined() && o.auxiliary_weight() > 0.0) {
          auto auxiliary = torch::nn::functional::cross_entropy(
              output.auxiliary_logits, labels);
          (loss + o.auxiliary_weight() * auxiliary).backward();
        } else {
          loss.backward();
        }
      } else {
        logits = network_->forward(images);
        loss = torch::nn::functional::cross_entropy(logits, labels);
        loss.backward();
      }
      if (o.grad_clip() > 0.0) {
        torch::nn::utils::clip_grad_norm_(network_->parameters(),
                                          o.grad_clip());
      }
      optimizer.step();

      auto size = images.size(0);
      loss_sum += loss.detach().to(torch::kFloat64) * static_cast<double>(size);
      correct += logits.argmax(1).eq(labels).sum();
      seen += size;
    }

    record.seconds = detail::seconds_since(epoch_start);
    record.loss = loss_sum.item<double>() / static_cast<double>(seen);
    record.train_accuracy = static_cast<double>(correct.item<int64_t>()) /
                            static_cast<double>(seen);
    record.images_per_second = static_cast<double>(seen) / record.seconds;
    if (!std::isfinite(record.loss)) {
      throw Error(fmt::format(
          "training diverged at epoch {} (loss {}); lower the learning rate",
          epoch, record.loss));
    }
    result.test = evaluate(test);
    record.test_loss = result.test.loss;
    record.test_accuracy = result.test.accuracy;
    result.epochs.push_back(record);
    detail::log_training_line(o, detail::format_epoch_line(record,
                                                           o.epochs()));
  }

  result.seconds = detail::seconds_since(start);
  detail::log_training_line(
      o, fmt::format("training finished in {:.1f} s: test accuracy {:.2f}% "
                     "(loss {:.4f}) on {} images",
                     result.seconds, 100.0 * result.test.accuracy,
                     result.test.loss, result.test.images));
  return result;
}

}  // namespace isdarts
