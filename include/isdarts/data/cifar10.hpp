#pragma once

/// CIFAR-10 in the official binary layout: a reader that returns the images
/// as one uint8 tensor, the per-channel normalization, and a loader that
/// prepares shuffled, augmented batches on a background thread.

#include <torch/torch.h>

#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace isdarts::data {

/// The CIFAR-10 training split (`data_batch_1.bin` to `data_batch_5.bin`,
/// 50,000 images) or test split (`test_batch.bin`, 10,000 images).
enum class Split { kTrain, kTest };

/// Size in bytes of one record of the binary layout: a label byte followed
/// by the 1,024 red, 1,024 green and 1,024 blue bytes of a 32x32 image.
inline constexpr int64_t kCifar10RecordBytes = 1 + 3 * 32 * 32;

/// Per-channel (R, G, B) mean of the CIFAR-10 training images, on the
/// [0, 1] scale.
inline constexpr std::array<double, 3> kCifar10Mean{0.4914, 0.4822, 0.4465};

/// Per-channel (R, G, B) standard deviation of the CIFAR-10 training images,
/// on the [0, 1] scale.
inline constexpr std::array<double, 3> kCifar10Std{0.2470, 0.2435, 0.2616};

/// Images and labels of one split, or of a part of it.
struct Cifar10 {
  /// uint8 [N, 3, 32, 32], channels R, G, B, rows top to bottom.
  torch::Tensor images;
  /// int64 [N], class indices 0..9 in the order of `batches.meta.txt`.
  torch::Tensor labels;

  /// Returns N, the number of images.
  int64_t size() const;

  /// Returns images [begin, end) as views that share memory with this set.
  /// Throws InvalidArgument unless 0 <= begin <= end <= size().
  Cifar10 subset(int64_t begin, int64_t end) const;
};

/// Returns the folder that contains the `.bin` files: `dir` itself when it
/// contains a CIFAR-10 batch file, else `dir/cifar-10-batches-bin` when that
/// folder exists. Throws Error when neither is found.
std::filesystem::path resolve_cifar10_dir(const std::filesystem::path& dir);

/// Reads one split from `dir` (see resolve_cifar10_dir). A positive `limit`
/// reads at most the first `limit` images and opens only the files that hold
/// them; -1 reads the whole split. Throws Error on a missing file, a file
/// whose size is not a whole number of records, or a label byte above 9, and
/// InvalidArgument on a `limit` of 0 or below -1.
Cifar10 load_cifar10(const std::filesystem::path& dir, Split split,
                     int64_t limit = -1);

/// Converts uint8 images [N, 3, H, W] to float32 (pixel / 255 - mean) / std
/// with the CIFAR-10 per-channel constants, on the device of the input.
/// Throws InvalidArgument on another dtype or shape.
torch::Tensor normalize(const torch::Tensor& uint8_images);

/// Training-time augmentation of the loader, in the order of DARTS:
/// random crop, horizontal flip, normalization, Cutout.
struct AugmentOptions {
  /// Zero padding added on every side before a random crop back to the
  /// original size, in pixels. 0 disables the crop. Default: 4.
  TORCH_ARG(int64_t, padding) = 4;
  /// Whether to flip each image horizontally with probability 0.5.
  /// Default: true.
  TORCH_ARG(bool, flip) = true;
  /// Side length in pixels of the square that Cutout sets to 0 after
  /// normalization, centred on a uniformly drawn pixel and clipped at the
  /// image border. 0 disables Cutout. Default: 0.
  /// The DARTS code zeroes a square of side - 1 for an odd side, and the
  /// same square as here for an even side.
  TORCH_ARG(int64_t, cutout) = 0;
};

/// Options of BatchLoader. All of them are read once, at construction.
struct LoaderOptions {
  /// Images per batch. Default: 64.
  TORCH_ARG(int64_t, batch_size) = 64;
  /// Whether each epoch visits the images in a new random order.
  /// Default: true.
  TORCH_ARG(bool, shuffle) = true;
  /// Whether to apply `augment_options`; without it the images are only
  /// normalized. Default: true.
  TORCH_ARG(bool, augment) = true;
  /// Augmentation used when `augment` is true. Default: AugmentOptions().
  TORCH_ARG(AugmentOptions, augment_options) = {};
  /// Whether to skip the last batch of an epoch when it is smaller than
  /// `batch_size`. Default: false.
  TORCH_ARG(bool, drop_last) = false;
  /// Seed of the shuffle order and of the augmentation draws. Default: 0.
  TORCH_ARG(uint64_t, seed) = 0;
  /// Number of batches the background thread prepares ahead. Default: 4.
  TORCH_ARG(int64_t, prefetch) = 4;
};

/// One batch of normalized images and their labels.
struct Batch {
  /// float32 [B, 3, 32, 32], normalized, and augmented when
  /// LoaderOptions::augment is true.
  torch::Tensor images;
  /// int64 [B].
  torch::Tensor labels;
};

/// Prepares the batches of an epoch on a background thread, at most
/// `prefetch` ahead of the caller. Augmentation runs in plain loops over the
/// uint8 pixels, so the thread never enters LibTorch's intra-op thread pool.
/// For given data and options, the batches depend only on (seed, epoch) and
/// not on thread timing: the order is drawn from a generator seeded with
/// (seed, epoch), and the crop, flip and Cutout draws of batch i from one
/// seeded with (seed, epoch, i). Call the methods from one thread.
///
///     BatchLoader loader(load_cifar10(dir, Split::kTrain), LoaderOptions());
///     for (int64_t epoch = 0; epoch < epochs; ++epoch) {
///       loader.start_epoch(epoch);
///       while (auto batch = loader.next()) { ... }
///     }
class BatchLoader {
 public:
  /// Throws InvalidArgument on images that are not uint8 [N, 3, H, W] on the
  /// CPU, labels that are not int64 [N], or an option out of range.
  explicit BatchLoader(Cifar10 data, LoaderOptions options = LoaderOptions());
  ~BatchLoader();

  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  /// Returns the number of batches that next() returns in one epoch.
  int64_t batches_per_epoch() const;

  /// Starts preparing the batches of `epoch` (0 or above). Stops and
  /// discards an unfinished previous epoch first.
  void start_epoch(int64_t epoch);

  /// Returns the next batch of the current epoch, waiting for it if needed,
  /// or std::nullopt after the last one. Rethrows an exception raised while
  /// preparing the batch. Throws Error before the first start_epoch().
  std::optional<Batch> next();

 private:
  void stop_worker();
  std::vector<int64_t> make_order(int64_t epoch) const;
  void run_worker(int64_t epoch);
  Batch make_batch(int64_t epoch, int64_t batch_index,
                   const std::vector<int64_t>& order) const;

  Cifar10 data_;
  LoaderOptions options_;

  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable queue_changed_;
  std::deque<Batch> queue_;
  bool started_ = false;
  bool stop_requested_ = false;
  bool worker_finished_ = true;
  std::exception_ptr worker_error_;
};

}  // namespace isdarts::data

#include "isdarts/data/detail/cifar10_impl.hpp"
