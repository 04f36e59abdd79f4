#pragma once

/// Training of an evaluation network from scratch on CIFAR-10.
///
///     Trainer<Network>
///
/// `Network` is a TORCH_MODULE holder whose module provides
///
///     torch::Tensor forward(const torch::Tensor& images);  // logits
///
/// and may provide
///
///     TrainingOutput forward_training(const torch::Tensor& images);
///     void set_drop_path_probability(double probability);
///
/// With `forward_training`, the loss adds `auxiliary_weight` times the
/// auxiliary classifier's loss; with `set_drop_path_probability`, epoch e
/// (from 0) trains with drop path `drop_path * e / epochs`. `DartsNetwork`
/// provides both; the NAS-Bench-201 network (`make_nb201_network`) neither.
///
/// `run()` trains with SGD and a cosine learning rate, one learning rate per
/// epoch, and evaluates on the test images after every epoch.

#include <type_traits>
#include <utility>

#include "isdarts/data/cifar10.hpp"
#include "isdarts/train/darts_network.hpp"
#include "isdarts/train/trainer_options.hpp"

namespace isdarts {

template <class Network>
class Trainer {
 public:
  explicit Trainer(Network network, TrainerOptions options = {})
      : network_(std::move(network)), options_(std::move(options)) {}

  /// Trains on `train` and evaluates on `test` after every epoch. Raises
  /// InvalidArgument for invalid options or empty data and Error when the
  /// training loss stops being finite.
  TrainResult run(const data::Cifar10& train, const data::Cifar10& test);

  /// Loss and accuracy on `images` in evaluation mode, in batches of
  /// `batch_size` images on the options' device.
  Evaluation evaluate(const data::Cifar10& images);

  Network network() const { return network_; }
  TrainerOptions& options() { return options_; }

 private:
  Network network_;
  TrainerOptions options_;
};

}  // namespace isdarts

#include "isdarts/train/detail/trainer_impl.hpp"
