#pragma once

/// Options of training an evaluation network from scratch, and the records
/// that training returns.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace isdarts {

/// Training settings of an evaluation network. Defaults are the DARTS
/// settings for CIFAR-10 (DARTS code, train.py); `nb201()` gives the
/// NAS-Bench-201 settings. Changing an option affects the next `run()`.
struct TrainerOptions {
  /// Training epochs. Default 600.
  TORCH_ARG(int64_t, epochs) = 600;
  /// Images per training and evaluation batch. Default 96.
  TORCH_ARG(int64_t, batch_size) = 96;
  /// Initial SGD learning rate, decayed by cosine per epoch. Default 0.025.
  TORCH_ARG(double, learning_rate) = 0.025;
  /// Learning rate reached at the end of the cosine decay. Default 0.
  TORCH_ARG(double, min_learning_rate) = 0.0;
  /// SGD momentum. Default 0.9.
  TORCH_ARG(double, momentum) = 0.9;
  /// Nesterov momentum. Default false.
  TORCH_ARG(bool, nesterov) = false;
  /// L2 weight decay. Default 3e-4.
  TORCH_ARG(double, weight_decay) = 3e-4;
  /// Maximum L2 norm of the gradients; 0 disables clipping. Default 5.
  TORCH_ARG(double, grad_clip) = 5.0;
  /// Weight of the auxiliary classifier's loss, for networks that have one.
  /// Default 0.4.
  TORCH_ARG(double, auxiliary_weight) = 0.4;
  /// Maximum drop-path probability p, in [0, 1), for networks that support
  /// drop path. Epoch e (from 0) uses p * e / epochs. Default 0.2.
  TORCH_ARG(double, drop_path) = 0.2;
  /// Random crop (4-pixel padding) and horizontal flip of training images.
  /// Default true.
  TORCH_ARG(bool, augment) = true;
  /// Side in pixels of the Cutout square applied after augmentation; 0
  /// disables it. Default 16.
  TORCH_ARG(int64_t, cutout) = 16;
  /// Seed of data order, augmentation and drop path. Default 0.
  TORCH_ARG(uint64_t, seed) = 0;
  /// CPU threads for LibTorch; 0 uses every hardware thread. Default 0.
  TORCH_ARG(int64_t, threads) = 0;
  /// Device for training and evaluation. Default CPU.
  /// NOTE: the CUDA path compiles but has not yet run on a GPU.
  TORCH_ARG(torch::Device, device) = torch::kCPU;
  /// Log one line per epoch. Default true.
  TORCH_ARG(bool, verbose) = true;
  /// Receives each log line; empty prints to standard output. Default empty.
  TORCH_ARG(std::function<void(const std::string&)>, logger) = nullptr;

 public:
  // TORCH_ARG leaves the members after it private, hence the label.

  /// Returns the DARTS settings: the defaults above.
  static TrainerOptions darts() { return TrainerOptions(); }

  /// Returns the NAS-Bench-201 settings: 200 epochs, batch 256, learning
  /// rate 0.1 with cosine decay to 0, Nesterov momentum 0.9, weight decay
  /// 5e-4, crop and flip, and no gradient clipping, auxiliary loss, drop path
  /// or Cutout.
  static TrainerOptions nb201() {
    return TrainerOptions()
        .epochs(200)
        .batch_size(256)
        .learning_rate(0.1)
        .nesterov(true)
        .weight_decay(5e-4)
        .grad_clip(0.0)
        .auxiliary_weight(0.0)
        .drop_path(0.0)
        .cutout(0);
  }
};

/// Loss and accuracy of a network on a set of images.
struct Evaluation {
  /// Mean cross-entropy.
  double loss = 0.0;
  /// Fraction of images classified correctly, in [0, 1].
  double accuracy = 0.0;
  int64_t images = 0;
  double seconds = 0.0;
};

/// One training epoch and the test evaluation after it.
struct TrainEpochRecord {
  int64_t epoch = 0;
  /// Mean training loss of the main classifier, without the auxiliary loss.
  double loss = 0.0;
  /// Fraction of training images classified correctly, in [0, 1].
  double train_accuracy = 0.0;
  double test_loss = 0.0;
  /// Fraction of test images classified correctly, in [0, 1].
  double test_accuracy = 0.0;
  double learning_rate = 0.0;
  double drop_path = 0.0;
  /// Training images per second, the test evaluation excluded.
  double images_per_second = 0.0;
  /// Seconds of training, the test evaluation excluded.
  double seconds = 0.0;
};

/// Result of training: the epochs' records and the final evaluation.
struct TrainResult {
  std::vector<TrainEpochRecord> epochs;
  /// Evaluation on the test images after the last epoch.
  Evaluation test;
  double seconds = 0.0;
  int64_t threads = 0;
  std::string device;
};

}  // namespace isdarts
