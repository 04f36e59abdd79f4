#pragma once

// Bodies of the functions declared in isdarts/data/cifar10.hpp, which
// includes this file at its end. Include that header, not this one.

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>

#include "isdarts/data/cifar10.hpp"
#include "isdarts/error.hpp"

namespace isdarts::data {
namespace detail {

inline constexpr int64_t kImageBytes = kCifar10RecordBytes - 1;

inline constexpr const char* kFixHint =
    "re-create the folder from the CIFAR-10 binary version "
    "(cifar-10-binary.tar.gz, which unpacks to cifar-10-batches-bin/)";

inline std::vector<std::string> split_file_names(Split split) {
  if (split == Split::kTest) {
    return {"test_batch.bin"};
  }
  return {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
          "data_batch_4.bin", "data_batch_5.bin"};
}

inline bool contains_batch_file(const std::filesystem::path& dir) {
  std::error_code error;
  for (const char* name : {"data_batch_1.bin", "test_batch.bin"}) {
    if (std::filesystem::is_regular_file(dir / name, error)) {
      return true;
    }
  }
  return false;
}

// Returns the number of records in `file`, checking that it exists and is a
// whole, non-zero number of records long.
inline int64_t count_records(const std::filesystem::path& file) {
  std::error_code error;
  const auto bytes = std::filesystem::file_size(file, error);
  if (error) {
    throw Error(
        fmt::format("CIFAR-10 file '{}' not found or unreadable ({}); {}",
                    file.string(), error.message(), kFixHint));
  }
  if (bytes == 0 || bytes % kCifar10RecordBytes != 0) {
    throw Error(fmt::format(
        "CIFAR-10 file '{}' has {} bytes, which is not a whole, non-zero "
        "number of {}-byte records, so it is truncated or not in the CIFAR-10 "
        "binary format; {}",
        file.string(), bytes, kCifar10RecordBytes, kFixHint));
  }
  return static_cast<int64_t>(bytes / kCifar10RecordBytes);
}

// Reads the first `records` records of `file` with one read into `buffer`.
inline void read_records(const std::filesystem::path& file, int64_t records,
                         std::vector<uint8_t>& buffer) {
  const int64_t bytes = records * kCifar10RecordBytes;
  buffer.resize(static_cast<std::size_t>(bytes));
  std::ifstream stream(file, std::ios::binary);
  stream.read(reinterpret_cast<char*>(buffer.data()), bytes);
  if (!stream || stream.gcount() != bytes) {
    throw Error(fmt::format(
        "failed to read CIFAR-10 file '{}': read {} of {} bytes; check that "
        "the file is readable, or {}",
        file.string(), static_cast<int64_t>(stream.gcount()), bytes, kFixHint));
  }
}

// Float value of each uint8 pixel value after normalization, per channel.
// Both normalize() and BatchLoader read this table, so they agree exactly.
using NormalizationTable = std::array<std::array<float, 256>, 3>;
static_assert(sizeof(NormalizationTable) == 3 * 256 * sizeof(float),
              "normalize() reads the table as one [3, 256] float array");

inline const NormalizationTable& normalization_table() {
  static const NormalizationTable table = [] {
    NormalizationTable values{};
    for (std::size_t channel = 0; channel < 3; ++channel) {
      for (std::size_t pixel = 0; pixel < 256; ++pixel) {
        const double scaled = static_cast<double>(pixel) / 255.0;
        values[channel][pixel] = static_cast<float>(
            (scaled - kCifar10Mean[channel]) / kCifar10Std[channel]);
      }
    }
    return values;
  }();
  return table;
}

// Normalizes with tensor indexing on the device of `images`, which must be
// uint8 [N, 3, H, W]. Produces the same values as the CPU loop.
inline torch::Tensor normalize_by_indexing(const torch::Tensor& images) {
  const NormalizationTable& table = normalization_table();
  // Entry [c, v] of the lookup tensor is channel c, pixel value v.
  const torch::Tensor lookup =
      torch::from_blob(const_cast<float*>(table[0].data()), {3, 256},
                       torch::kFloat32)
          .to(images.device(), /*non_blocking=*/false, /*copy=*/true);
  const torch::Tensor channels =
      torch::arange(3,
                    torch::TensorOptions(torch::kInt64).device(images.device()))
          .view({1, 3, 1, 1});
  return lookup.index({channels, images.to(torch::kInt64)});
}

inline void check_uint8_images(const torch::Tensor& images,
                               const char* caller) {
  if (!images.defined()) {
    throw InvalidArgument(
        fmt::format("{}: the image tensor is undefined; pass uint8 images "
                    "[N, 3, H, W], for example Cifar10::images",
                    caller));
  }
  if (images.scalar_type() != torch::kUInt8 || images.dim() != 4 ||
      images.size(1) != 3) {
    throw InvalidArgument(fmt::format(
        "{}: expected uint8 images [N, 3, H, W] but got {} {}; pass the "
        "undecoded pixels, for example Cifar10::images",
        caller, std::string(c10::toString(images.scalar_type())),
        c10::str(images.sizes())));
  }
}

// The SplitMix64 generator. Its output depends only on the seed, unlike the
// distributions of <random>, so draws match across standard libraries.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform integer in [0, bound) for bound > 0. Rejecting draws below
  // 2^64 mod bound removes the bias of a plain modulo.
  uint64_t below(uint64_t bound) {
    const uint64_t threshold = (0 - bound) % bound;
    uint64_t draw = next();
    while (draw < threshold) {
      draw = next();
    }
    return draw % bound;
  }

 private:
  uint64_t state_;
};

// Seed of one generator of the loader, derived from the user's seed, a
// stream tag (order or batch), the epoch and the batch index.
inline uint64_t derive_seed(uint64_t seed, uint64_t stream, uint64_t epoch,
                            uint64_t batch_index) {
  uint64_t hash = SplitMix64(seed).next();
  hash = SplitMix64(hash ^ stream).next();
  hash = SplitMix64(hash ^ epoch).next();
  return SplitMix64(hash ^ batch_index).next();
}

inline constexpr uint64_t kOrderStream = 1;
inline constexpr uint64_t kBatchStream = 2;

inline void normalize_image(const uint8_t* source, float* target,
                            int64_t plane) {
  const NormalizationTable& table = normalization_table();
  for (int64_t channel = 0; channel < 3; ++channel) {
    const std::array<float, 256>& values = table[channel];
    for (int64_t i = 0; i < plane; ++i) {
      target[channel * plane + i] = values[source[channel * plane + i]];
    }
  }
}

// Writes the normalized, augmented copy of one [3, height, width] image.
// Draws, in this order: crop row and column offsets (when padding > 0), the
// flip (when enabled), the Cutout centre row and column (when cutout > 0).
inline void augment_image(const uint8_t* source, float* target, int64_t height,
                          int64_t width, const AugmentOptions& options,
                          SplitMix64& rng) {
  const NormalizationTable& table = normalization_table();
  const int64_t plane = height * width;

  // Cropping the zero-padded image at offset (dy + p, dx + p) reads source
  // pixel (y + dy, x + dx), and 0 where that falls outside the image.
  const int64_t padding = options.padding();
  int64_t dy = 0;
  int64_t dx = 0;
  if (padding > 0) {
    const auto range = static_cast<uint64_t>(2 * padding + 1);
    dy = static_cast<int64_t>(rng.below(range)) - padding;
    dx = static_cast<int64_t>(rng.below(range)) - padding;
  }
  const bool flip = options.flip() && (rng.next() >> 63) != 0;

  for (int64_t channel = 0; channel < 3; ++channel) {
    const std::array<float, 256>& values = table[channel];
    const uint8_t* source_plane = source + channel * plane;
    float* target_plane = target + channel * plane;
    for (int64_t y = 0; y < height; ++y) {
      const int64_t source_y = y + dy;
      const bool row_inside = source_y >= 0 && source_y < height;
      for (int64_t x = 0; x < width; ++x) {
        // Flipping the cropped image mirrors the output column, and the
        // crop offset is added after that.
        const int64_t source_x = (flip ? width - 1 - x : x) + dx;
        uint8_t pixel = 0;
        if (row_inside && source_x >= 0 && source_x < width) {
          pixel = source_plane[source_y * width + source_x];
        }
        target_plane[y * width + x] = values[pixel];
      }
    }
  }

  const int64_t side = options.cutout();
  if (side > 0) {
    const auto centre_y =
        static_cast<int64_t>(rng.below(static_cast<uint64_t>(height)));
    const auto centre_x =
        static_cast<int64_t>(rng.below(static_cast<uint64_t>(width)));
    const int64_t top = std::max<int64_t>(0, centre_y - side / 2);
    const int64_t bottom = std::min(height, centre_y - side / 2 + side);
    const int64_t left = std::max<int64_t>(0, centre_x - side / 2);
    const int64_t right = std::min(width, centre_x - side / 2 + side);
    for (int64_t channel = 0; channel < 3; ++channel) {
      for (int64_t y = top; y < bottom; ++y) {
        for (int64_t x = left; x < right; ++x) {
          target[channel * plane + y * width + x] = 0.0f;
        }
      }
    }
  }
}

}  // namespace detail

inline int64_t Cifar10::size() const {
  return images.defined() ? images.size(0) : 0;
}

inline Cifar10 Cifar10::subset(int64_t begin, int64_t end) const {
  if (begin < 0 || begin > end || end > size()) {
    throw InvalidArgument(fmt::format(
        "Cifar10::subset: range [{}, {}) is invalid for {} images; pass "
        "0 <= begin <= end <= size()",
        begin, end, size()));
  }
  if (!images.defined()) {
    return *this;
  }
  return Cifar10{images.slice(0, begin, end), labels.slice(0, begin, end)};
}

inline std::filesystem::path resolve_cifar10_dir(
    const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  const char* expected =
      "pass the folder that contains data_batch_1.bin ... data_batch_5.bin "
      "and test_batch.bin, or its parent that contains cifar-10-batches-bin/";
  std::error_code error;

  if (detail::contains_batch_file(dir)) {
    return dir;
  }
  const fs::path nested = dir / "cifar-10-batches-bin";
  if (fs::is_directory(nested, error)) {
    return nested;
  }
  if (!fs::exists(dir, error)) {
    throw Error(fmt::format("CIFAR-10 folder '{}' not found; {}", dir.string(),
                            expected));
  }
  if (!fs::is_directory(dir, error)) {
    throw Error(fmt::format("CIFAR-10 path '{}' is not a folder; {}",
                            dir.string(), expected));
  }
  throw Error(
      fmt::format("CIFAR-10 folder '{}' contains neither data_batch_1.bin, "
                  "test_batch.bin nor cifar-10-batches-bin/; {}",
                  dir.string(), expected));
}

inline Cifar10 load_cifar10(const std::filesystem::path& dir, Split split,
                            int64_t limit) {
  if (limit == 0 || limit < -1) {
    throw InvalidArgument(fmt::format(
        "load_cifar10: limit {} is invalid; pass a positive number of images "
        "or -1 for the whole split",
        limit));
  }
  const std::filesystem::path folder = resolve_cifar10_dir(dir);

  // Size every file that is needed before reading any, so that the output
  // tensors are allocated once.
  std::vector<std::pair<std::filesystem::path, int64_t>> files;
  int64_t total = 0;
  for (const std::string& name : detail::split_file_names(split)) {
    if (limit > 0 && total >= limit) {
      break;
    }
    const std::filesystem::path file = folder / name;
    int64_t records = detail::count_records(file);
    if (limit > 0) {
      records = std::min(records, limit - total);
    }
    files.emplace_back(file, records);
    total += records;
  }

  torch::Tensor images = torch::empty({total, 3, 32, 32}, torch::kUInt8);
  torch::Tensor labels = torch::empty({total}, torch::kInt64);
  uint8_t* image_data = images.data_ptr<uint8_t>();
  int64_t* label_data = labels.data_ptr<int64_t>();

  std::vector<uint8_t> buffer;
  int64_t offset = 0;
  for (const auto& [file, records] : files) {
    detail::read_records(file, records, buffer);
    for (int64_t record = 0; record < records; ++record) {
      const uint8_t* bytes = buffer.data() + record * kCifar10RecordBytes;
      if (bytes[0] > 9) {
        throw Error(fmt::format(
            "CIFAR-10 file '{}', record {} (counting from 0): label byte {} "
            "is not a class index 0..9, so the file is corrupt or not "
            "CIFAR-10 binary; {}",
            file.string(), record, static_cast<int>(bytes[0]),
            detail::kFixHint));
      }
      label_data[offset + record] = bytes[0];
      std::memcpy(image_data + (offset + record) * detail::kImageBytes,
                  bytes + 1, detail::kImageBytes);
    }
    offset += records;
  }
  return Cifar10{images, labels};
}

inline torch::Tensor normalize(const torch::Tensor& uint8_images) {
  detail::check_uint8_images(uint8_images, "normalize");
  if (!uint8_images.device().is_cpu()) {
    return detail::normalize_by_indexing(uint8_images);
  }

  const torch::Tensor input = uint8_images.contiguous();
  torch::Tensor output = torch::empty(input.sizes(), torch::kFloat32);
  const int64_t plane = input.size(2) * input.size(3);
  const uint8_t* source = input.data_ptr<uint8_t>();
  float* target = output.data_ptr<float>();
  at::parallel_for(0, input.size(0), 16, [&](int64_t begin, int64_t end) {
    for (int64_t image = begin; image < end; ++image) {
      detail::normalize_image(source + image * 3 * plane,
                              target + image * 3 * plane, plane);
    }
  });
  return output;
}

inline BatchLoader::BatchLoader(Cifar10 data, LoaderOptions options)
    : data_(std::move(data)), options_(std::move(options)) {
  detail::check_uint8_images(data_.images, "BatchLoader");
  if (!data_.images.device().is_cpu()) {
    throw InvalidArgument("BatchLoader: the images are on " +
                          data_.images.device().str() +
                          "; pass CPU images, as load_cifar10 returns them");
  }
  if (!data_.labels.defined() || data_.labels.scalar_type() != torch::kInt64 ||
      data_.labels.dim() != 1 || data_.labels.size(0) != data_.size()) {
    throw InvalidArgument(fmt::format(
        "BatchLoader: expected int64 labels [{}] to match the images but got "
        "{}; pass the labels that load_cifar10 returns",
        data_.size(),
        data_.labels.defined()
            ? std::string(c10::toString(data_.labels.scalar_type())) + " " +
                  c10::str(data_.labels.sizes())
            : std::string("an undefined tensor")));
  }
  data_.images = data_.images.contiguous();
  data_.labels = data_.labels.to(torch::kCPU).contiguous();

  const AugmentOptions& augment = options_.augment_options();
  const std::pair<const char*, int64_t> minimums[] = {
      {"batch_size", options_.batch_size()},
      {"prefetch", options_.prefetch()},
  };
  for (const auto& [name, value] : minimums) {
    if (value < 1) {
      throw InvalidArgument(fmt::format(
          "BatchLoader: {} {} is invalid; pass 1 or more", name, value));
    }
  }
  if (augment.padding() < 0 || augment.cutout() < 0) {
    throw InvalidArgument(fmt::format(
        "BatchLoader: augment padding {} and cutout {} must not be negative; "
        "pass 0 to disable either",
        augment.padding(), augment.cutout()));
  }
}

inline BatchLoader::~BatchLoader() { stop_worker(); }

inline int64_t BatchLoader::batches_per_epoch() const {
  const int64_t images = data_.size();
  const int64_t batch_size = options_.batch_size();
  if (options_.drop_last()) {
    return images / batch_size;
  }
  return (images + batch_size - 1) / batch_size;
}

inline void BatchLoader::start_epoch(int64_t epoch) {
  if (epoch < 0) {
    throw InvalidArgument(fmt::format(
        "BatchLoader::start_epoch: epoch {} is invalid; pass 0 or more",
        epoch));
  }
  stop_worker();

  std::lock_guard<std::mutex> lock(mutex_);
  queue_.clear();
  stop_requested_ = false;
  worker_finished_ = false;
  worker_error_ = nullptr;
  started_ = true;
  try {
    worker_ = std::thread([this, epoch] { run_worker(epoch); });
  } catch (...) {
    // Without a worker, next() would wait forever.
    worker_finished_ = true;
    started_ = false;
    throw;
  }
}

inline std::optional<Batch> BatchLoader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!started_) {
    throw Error(
        "BatchLoader::next() was called before start_epoch(); call "
        "start_epoch(epoch) at the start of every epoch");
  }
  queue_changed_.wait(lock,
                      [this] { return !queue_.empty() || worker_finished_; });

  if (!queue_.empty()) {
    Batch batch = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    queue_changed_.notify_all();
    return batch;
  }
  if (worker_error_) {
    std::exception_ptr error = std::exchange(worker_error_, nullptr);
    std::rethrow_exception(error);
  }
  return std::nullopt;
}

inline void BatchLoader::stop_worker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_requested_ = true;
  }
  queue_changed_.notify_all();
  if (worker_.joinable()) {
    worker_.join();
  }
}

inline std::vector<int64_t> BatchLoader::make_order(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<std::size_t>(data_.size()));
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = static_cast<int64_t>(i);
  }
  if (!options_.shuffle()) {
    return order;
  }

  // Fisher-Yates shuffle.
  detail::SplitMix64 rng(detail::derive_seed(
      options_.seed(), detail::kOrderStream, static_cast<uint64_t>(epoch), 0));
  for (std::size_t i = order.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(rng.below(i));
    std::swap(order[i - 1], order[j]);
  }
  return order;
}

inline void BatchLoader::run_worker(int64_t epoch) {
  try {
    const std::vector<int64_t> order = make_order(epoch);
    const int64_t batches = batches_per_epoch();
    const auto capacity = static_cast<std::size_t>(options_.prefetch());
    for (int64_t index = 0; index < batches; ++index) {
      Batch batch = make_batch(epoch, index, order);

      std::unique_lock<std::mutex> lock(mutex_);
      queue_changed_.wait(lock, [this, capacity] {
        return stop_requested_ || queue_.size() < capacity;
      });
      if (stop_requested_) {
        break;
      }
      queue_.push_back(std::move(batch));
      lock.unlock();
      queue_changed_.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    worker_error_ = std::current_exception();
  }

  {
    std::lock_guard<std::mutex> lock(mutex_);
    worker_finished_ = true;
  }
  queue_changed_.notify_all();
}

inline Batch BatchLoader::make_batch(int64_t epoch, int64_t batch_index,
                                     const std::vector<int64_t>& order) const {
  const int64_t begin = batch_index * options_.batch_size();
  const int64_t count = std::min(options_.batch_size(), data_.size() - begin);
  const int64_t height = data_.images.size(2);
  const int64_t width = data_.images.size(3);
  const int64_t image_size = 3 * height * width;

  torch::Tensor images =
      torch::empty({count, 3, height, width}, torch::kFloat32);
  torch::Tensor labels = torch::empty({count}, torch::kInt64);
  const uint8_t* source = data_.images.data_ptr<uint8_t>();
  const int64_t* source_labels = data_.labels.data_ptr<int64_t>();
  float* target = images.data_ptr<float>();
  int64_t* target_labels = labels.data_ptr<int64_t>();

  detail::SplitMix64 rng(detail::derive_seed(
      options_.seed(), detail::kBatchStream, static_cast<uint64_t>(epoch),
      static_cast<uint64_t>(batch_index)));
  for (int64_t i = 0; i < count; ++i) {
    const int64_t index = order[static_cast<std::size_t>(begin + i)];
    target_labels[i] = source_labels[index];
    const uint8_t* image = source + index * image_size;
    if (options_.augment()) {
      detail::augment_image(image, target + i * image_size, height, width,
                            options_.augment_options(), rng);
    } else {
      detail::normalize_image(image, target + i * image_size, height * width);
    }
  }
  return Batch{images, labels};
}

}  // namespace isdarts::data
