#pragma once

/// Options of a search, and the records a search returns.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "isdarts/mask.hpp"

namespace isdarts {

/// Training and measurement settings of a search. Defaults are the IS-DARTS
/// settings for NAS-Bench-201. Changing an option affects the next `run()`.
struct SearchOptions {
  /// Training epochs, shrink steps included. Default 30.
  TORCH_ARG(int64_t, epochs) = 30;
  /// Images per training batch. Default 64.
  TORCH_ARG(int64_t, batch_size) = 64;
  /// Initial SGD learning rate, decayed by cosine per epoch. Default 0.025.
  TORCH_ARG(double, learning_rate) = 0.025;
  /// Learning rate reached at the end of the cosine decay. Default 0.001.
  TORCH_ARG(double, min_learning_rate) = 0.001;
  /// SGD momentum. Default 0.9.
  TORCH_ARG(double, momentum) = 0.9;
  /// Nesterov momentum. Default true.
  TORCH_ARG(bool, nesterov) = true;
  /// L2 weight decay. Default 5e-4.
  TORCH_ARG(double, weight_decay) = 5e-4;
  /// Maximum L2 norm of the weight gradients. Default 5.
  TORCH_ARG(double, grad_clip) = 5.0;
  /// Training images on which importance is measured before each shrink
  /// step, drawn once per search with the seed. Default 200.
  TORCH_ARG(int64_t, importance_images) = 200;
  /// Random crop (4-pixel padding) and horizontal flip of training images.
  /// Default true.
  TORCH_ARG(bool, augment) = true;
  /// Seed of weight initialization, data order, augmentation and the
  /// measured images. Default 0.
  TORCH_ARG(uint64_t, seed) = 0;
  /// CPU threads for LibTorch; 0 uses every hardware thread. Default 0.
  TORCH_ARG(int64_t, threads) = 0;
  /// Device for training and measurement. Default CPU.
  /// NOTE: the CUDA path compiles but has not yet run on a GPU.
  TORCH_ARG(torch::Device, device) = torch::kCPU;
  /// Channels-last (NHWC) memory layout for the supernet and its inputs,
  /// which LibTorch's oneDNN convolutions run faster on the CPU. Results are
  /// the same up to floating-point rounding. Default true.
  TORCH_ARG(bool, channels_last) = true;
  /// Log one line per epoch and per shrink step. Default true.
  TORCH_ARG(bool, verbose) = true;
  /// Receives each log line; empty prints to standard output. Default empty.
  TORCH_ARG(std::function<void(const std::string&)>, logger) = nullptr;
};

/// One training epoch.
struct EpochRecord {
  int64_t epoch = 0;
  double loss = 0.0;
  /// Fraction of training images classified correctly, in [0, 1].
  double train_accuracy = 0.0;
  double learning_rate = 0.0;
  double images_per_second = 0.0;
  double seconds = 0.0;
};

/// One candidate removed by a shrink step.
struct DiscardedCandidate {
  std::string subset;
  int64_t edge = 0;
  std::string edge_label;
  std::string operation;
  double importance = 0.0;
};

/// One shrink step.
struct ShrinkRecord {
  int64_t step = 0;
  /// Epoch after which the step ran, from 1.
  int64_t epoch = 0;
  /// Seconds spent measuring importance.
  double measure_seconds = 0.0;
  int64_t kept_after = 0;
  std::vector<DiscardedCandidate> discarded;
};

/// What a search found and how it went.
template <class Space>
struct SearchResult {
  typename Space::Genotype genotype;
  Mask mask;
  std::vector<EpochRecord> epochs;
  std::vector<ShrinkRecord> shrink_steps;
  double search_seconds = 0.0;
  int64_t threads = 0;
  std::string device;
};

}  // namespace isdarts
