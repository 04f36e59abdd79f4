// Tests of the CIFAR-10 reader, normalization, BatchLoader and the
// NAS-Bench-201 table reader. Tests tagged [data] read the real data sets
// (see test_paths.hpp); the others write small files to a temporary folder.

#ifdef ISDARTS_CATCH2_V3
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "isdarts/benchmark/nb201_table.hpp"
#include "isdarts/data/cifar10.hpp"
#include "isdarts/error.hpp"
#include "test_paths.hpp"

namespace {

namespace fs = std::filesystem;
using isdarts::Error;
using isdarts::InvalidArgument;
using isdarts::benchmark::Nb201Table;
using isdarts::data::AugmentOptions;
using isdarts::data::Batch;
using isdarts::data::BatchLoader;
using isdarts::data::Cifar10;
using isdarts::data::kCifar10RecordBytes;
using isdarts::data::load_cifar10;
using isdarts::data::LoaderOptions;
using isdarts::data::normalize;
using isdarts::data::Split;

#ifdef ISDARTS_CATCH2_V3
using Catch::Approx;
using Catch::Matchers::ContainsSubstring;
#else
inline Catch::Matchers::StdString::ContainsMatcher ContainsSubstring(
    const std::string& text) {
  return Catch::Matchers::Contains(text);
}
#endif

// A fresh folder under the system temporary folder, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ = fs::temp_directory_path() /
            ("isdarts-test-" + std::to_string(random()) + "-" +
             std::to_string(random()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code error;
    fs::remove_all(path_, error);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Returns the what() of the ErrorType that `function` throws, and fails the
// test when it throws nothing.
template <typename ErrorType, typename Function>
std::string message_of(Function&& function) {
  try {
    function();
  } catch (const ErrorType& error) {
    return error.what();
  }
  FAIL("expected an exception, but none was thrown");
  return {};
}

// Pixel value of the synthetic CIFAR-10 files. It differs between records,
// channels, rows and columns.
uint8_t synthetic_pixel(int64_t record, int64_t channel, int64_t y, int64_t x) {
  return static_cast<uint8_t>((record * 31 + channel * 11 + y * 5 + x) % 256);
}

// Writes `labels.size()` records in the CIFAR-10 binary layout.
void write_batch_file(const fs::path& file,
                      const std::vector<uint8_t>& labels) {
  std::ofstream stream(file, std::ios::binary);
  for (std::size_t record = 0; record < labels.size(); ++record) {
    stream.put(static_cast<char>(labels[record]));
    for (int64_t channel = 0; channel < 3; ++channel) {
      for (int64_t y = 0; y < 32; ++y) {
        for (int64_t x = 0; x < 32; ++x) {
          stream.put(static_cast<char>(
              synthetic_pixel(static_cast<int64_t>(record), channel, y, x)));
        }
      }
    }
  }
  REQUIRE(stream.good());
}

std::vector<uint8_t> cyclic_labels(std::size_t count) {
  std::vector<uint8_t> labels(count);
  for (std::size_t i = 0; i < count; ++i) {
    labels[i] = static_cast<uint8_t>(i % 10);
  }
  return labels;
}

std::vector<char> read_bytes(const fs::path& file, std::size_t count) {
  std::vector<char> bytes(count);
  std::ifstream stream(file, std::ios::binary);
  stream.read(bytes.data(), static_cast<std::streamsize>(count));
  REQUIRE(static_cast<std::size_t>(stream.gcount()) == count);
  return bytes;
}

// Random images whose label is their own index, so a batch's labels give
// the order in which the loader visited the images.
Cifar10 indexed_images(int64_t count) {
  torch::manual_seed(7);
  return Cifar10{torch::randint(0, 256, {count, 3, 32, 32}, torch::kUInt8),
                 torch::arange(count, torch::kInt64)};
}

std::vector<Batch> read_epoch(BatchLoader& loader, int64_t epoch) {
  loader.start_epoch(epoch);
  std::vector<Batch> batches;
  while (std::optional<Batch> batch = loader.next()) {
    batches.push_back(std::move(*batch));
  }
  return batches;
}

torch::Tensor epoch_labels(const std::vector<Batch>& batches) {
  std::vector<torch::Tensor> labels;
  for (const Batch& batch : batches) {
    labels.push_back(batch.labels);
  }
  return torch::cat(labels);
}

bool same_batches(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!torch::equal(a[i].images, b[i].images) ||
        !torch::equal(a[i].labels, b[i].labels)) {
      return false;
    }
  }
  return true;
}

void check_class_counts(const torch::Tensor& labels, int64_t per_class) {
  const torch::Tensor counts = torch::bincount(labels, {}, 10);
  for (int64_t label = 0; label < 10; ++label) {
    INFO("class " << label);
    CHECK(counts[label].item<int64_t>() == per_class);
  }
}

const char* const kTableHeader =
    "CIFAR10TestAccuracy200Epochs,CIFAR100TestAccuracy200Epochs,"
    "ImageNetTestAccuracy200Epochs,ArchitectureString,UniqueString\n";

fs::path write_text(const fs::path& file, const std::string& text) {
  std::ofstream stream(file, std::ios::binary);
  stream << text;
  REQUIRE(stream.good());
  return file;
}

}  // namespace

// ---------------------------------------------------------------------------
// CIFAR-10 reader

TEST_CASE("load_cifar10 train split", "[data]") {
  const Cifar10 train = load_cifar10(test_cifar10_dir(), Split::kTrain);

  REQUIRE(train.size() == 50000);
  CHECK(train.images.scalar_type() == torch::kUInt8);
  CHECK(train.images.sizes() == torch::IntArrayRef({50000, 3, 32, 32}));
  CHECK(train.labels.scalar_type() == torch::kInt64);
  CHECK(train.labels.sizes() == torch::IntArrayRef({50000}));
  CHECK(train.labels.min().item<int64_t>() >= 0);
  CHECK(train.labels.max().item<int64_t>() <= 9);
  check_class_counts(train.labels, 5000);
}

TEST_CASE("load_cifar10 test split", "[data]") {
  const Cifar10 test = load_cifar10(test_cifar10_dir(), Split::kTest);

  REQUIRE(test.size() == 10000);
  CHECK(test.images.scalar_type() == torch::kUInt8);
  CHECK(test.images.sizes() == torch::IntArrayRef({10000, 3, 32, 32}));
  CHECK(test.labels.scalar_type() == torch::kInt64);
  CHECK(test.labels.min().item<int64_t>() >= 0);
  CHECK(test.labels.max().item<int64_t>() <= 9);
  check_class_counts(test.labels, 1000);
}

TEST_CASE("load_cifar10 limit reads first images", "[data]") {
  const fs::path dir = test_cifar10_dir();

  SECTION("within one file") {
    const Cifar10 all = load_cifar10(dir, Split::kTest);
    const Cifar10 first = load_cifar10(dir, Split::kTest, 100);
    REQUIRE(first.size() == 100);
    CHECK(torch::equal(first.images, all.images.slice(0, 0, 100)));
    CHECK(torch::equal(first.labels, all.labels.slice(0, 0, 100)));
  }

  SECTION("across files, against the raw records") {
    const Cifar10 first = load_cifar10(dir, Split::kTrain, 10001);
    REQUIRE(first.size() == 10001);

    // Image 10,000 is the first record of data_batch_2.bin.
    const std::vector<std::pair<int64_t, fs::path>> records = {
        {0, dir / "data_batch_1.bin"}, {10000, dir / "data_batch_2.bin"}};
    for (const auto& [image, file] : records) {
      INFO("image " << image);
      const std::vector<char> bytes = read_bytes(file, kCifar10RecordBytes);
      CHECK(first.labels[image].item<int64_t>() ==
            static_cast<uint8_t>(bytes[0]));
      const torch::Tensor pixels = first.images[image].flatten();
      for (int64_t i = 0; i < 3072; ++i) {
        if (pixels[i].item<uint8_t>() != static_cast<uint8_t>(bytes[i + 1])) {
          FAIL("pixel " << i << " differs from the file");
        }
      }
    }
  }

  SECTION("opens only the files it needs") {
    TempDir temp;
    fs::copy_file(dir / "data_batch_1.bin", temp.path() / "data_batch_1.bin");
    const Cifar10 first = load_cifar10(temp.path(), Split::kTrain, 10000);
    CHECK(first.size() == 10000);
  }

  SECTION("more than the split returns the split") {
    CHECK(load_cifar10(dir, Split::kTest, 20000).size() == 10000);
  }
}

TEST_CASE("load_cifar10 truncated file", "[data]") {
  TempDir temp;
  const std::size_t cut = 5 * kCifar10RecordBytes + 100;
  const std::vector<char> bytes =
      read_bytes(test_cifar10_dir() / "test_batch.bin", cut);
  std::ofstream(temp.path() / "test_batch.bin", std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(cut));

  const std::string message =
      message_of<Error>([&] { load_cifar10(temp.path(), Split::kTest); });
  CHECK_THAT(message, ContainsSubstring("test_batch.bin"));
  CHECK_THAT(message, ContainsSubstring(std::to_string(cut) + " bytes"));
  CHECK_THAT(message, ContainsSubstring("truncated"));
}

TEST_CASE("load_cifar10 record layout", "[cifar10]") {
  TempDir temp;
  write_batch_file(temp.path() / "test_batch.bin", {3, 7, 0});

  const Cifar10 data = load_cifar10(temp.path(), Split::kTest);
  REQUIRE(data.size() == 3);
  CHECK(data.labels[0].item<int64_t>() == 3);
  CHECK(data.labels[1].item<int64_t>() == 7);
  CHECK(data.labels[2].item<int64_t>() == 0);
  for (int64_t record = 0; record < 3; ++record) {
    for (const auto& [channel, y, x] : std::vector<std::array<int64_t, 3>>{
             {0, 0, 0}, {0, 0, 31}, {1, 5, 9}, {2, 31, 0}, {2, 31, 31}}) {
      INFO("record " << record << " channel " << channel << " y " << y << " x "
                     << x);
      CHECK(data.images[record][channel][y][x].item<uint8_t>() ==
            synthetic_pixel(record, channel, y, x));
    }
  }
}

TEST_CASE("load_cifar10 missing file", "[cifar10]") {
  TempDir temp;
  write_batch_file(temp.path() / "test_batch.bin", cyclic_labels(2));

  const std::string message =
      message_of<Error>([&] { load_cifar10(temp.path(), Split::kTrain); });
  CHECK_THAT(message, ContainsSubstring("data_batch_1.bin"));
  CHECK_THAT(message, ContainsSubstring("not found"));
}

TEST_CASE("load_cifar10 missing folder", "[cifar10]") {
  TempDir temp;
  const fs::path missing = temp.path() / "no-such-folder";

  const std::string message =
      message_of<Error>([&] { load_cifar10(missing, Split::kTest); });
  CHECK_THAT(message, ContainsSubstring(missing.string()));
  CHECK_THAT(message, ContainsSubstring("not found"));
  CHECK_THAT(message, ContainsSubstring("cifar-10-batches-bin"));
}

TEST_CASE("load_cifar10 folder without batch files", "[cifar10]") {
  TempDir temp;
  const std::string message =
      message_of<Error>([&] { load_cifar10(temp.path(), Split::kTest); });
  CHECK_THAT(message, ContainsSubstring(temp.path().string()));
  CHECK_THAT(message, ContainsSubstring("test_batch.bin"));
}

TEST_CASE("load_cifar10 label out of range", "[cifar10]") {
  TempDir temp;
  write_batch_file(temp.path() / "test_batch.bin", {1, 2, 10, 4});

  const std::string message =
      message_of<Error>([&] { load_cifar10(temp.path(), Split::kTest); });
  CHECK_THAT(message, ContainsSubstring("test_batch.bin"));
  CHECK_THAT(message, ContainsSubstring("record 2"));
  CHECK_THAT(message, ContainsSubstring("label byte 10"));
}

TEST_CASE("load_cifar10 invalid limit", "[cifar10]") {
  TempDir temp;
  write_batch_file(temp.path() / "test_batch.bin", cyclic_labels(2));

  for (const int64_t limit : {int64_t{0}, int64_t{-2}}) {
    INFO("limit " << limit);
    CHECK_THROWS_AS(load_cifar10(temp.path(), Split::kTest, limit),
                    InvalidArgument);
  }
}

TEST_CASE("resolve_cifar10_dir accepts parent folder", "[cifar10]") {
  TempDir temp;
  const fs::path nested = temp.path() / "cifar-10-batches-bin";
  fs::create_directories(nested);
  write_batch_file(nested / "test_batch.bin", cyclic_labels(4));

  CHECK(isdarts::data::resolve_cifar10_dir(temp.path()) == nested);
  CHECK(isdarts::data::resolve_cifar10_dir(nested) == nested);
  CHECK(load_cifar10(temp.path(), Split::kTest).size() == 4);
}

TEST_CASE("Cifar10 subset shares memory", "[cifar10]") {
  const Cifar10 data = indexed_images(10);

  const Cifar10 part = data.subset(2, 5);
  REQUIRE(part.size() == 3);
  CHECK(part.labels[0].item<int64_t>() == 2);
  CHECK(part.images.data_ptr() == data.images[2].data_ptr());
  CHECK(data.subset(4, 4).size() == 0);
  CHECK_THROWS_AS(data.subset(5, 4), InvalidArgument);
  CHECK_THROWS_AS(data.subset(-1, 4), InvalidArgument);
  CHECK_THROWS_AS(data.subset(0, 11), InvalidArgument);
}

// ---------------------------------------------------------------------------
// Normalization

TEST_CASE("normalize known pixel values", "[cifar10]") {
  torch::Tensor image = torch::zeros({1, 3, 32, 32}, torch::kUInt8);
  image[0][0][4][5] = 255;
  image[0][1][4][5] = 0;
  image[0][2][4][5] = 128;
  image[0][0][0][0] = 200;

  const torch::Tensor output = normalize(image);
  REQUIRE(output.scalar_type() == torch::kFloat32);
  REQUIRE(output.sizes() == torch::IntArrayRef({1, 3, 32, 32}));
  // (value / 255 - mean) / std, worked out by hand per channel.
  CHECK(output[0][0][4][5].item<float>() == Approx(2.0591093).epsilon(1e-6));
  CHECK(output[0][1][4][5].item<float>() == Approx(-1.9802875).epsilon(1e-6));
  CHECK(output[0][2][4][5].item<float>() == Approx(0.2120061).epsilon(1e-5));
  CHECK(output[0][0][0][0].item<float>() == Approx(1.1858855).epsilon(1e-6));
  CHECK(output[0][0][1][1].item<float>() == Approx(-1.9894737).epsilon(1e-6));
}

TEST_CASE("normalize by indexing matches loop", "[cifar10]") {
  // normalize() uses the indexing path for tensors that are not on the CPU.
  const Cifar10 data = indexed_images(20);
  CHECK(torch::equal(isdarts::data::detail::normalize_by_indexing(data.images),
                     normalize(data.images)));
}

TEST_CASE("normalize rejects non-uint8 input", "[cifar10]") {
  CHECK_THROWS_AS(normalize(torch::zeros({1, 3, 32, 32})), InvalidArgument);
  CHECK_THROWS_AS(normalize(torch::zeros({3, 32, 32}, torch::kUInt8)),
                  InvalidArgument);
  CHECK_THROWS_AS(normalize(torch::zeros({1, 1, 32, 32}, torch::kUInt8)),
                  InvalidArgument);
}

// ---------------------------------------------------------------------------
// BatchLoader

TEST_CASE("BatchLoader batch shapes", "[loader]") {
  BatchLoader loader(indexed_images(200), LoaderOptions().batch_size(64));
  const std::vector<Batch> batches = read_epoch(loader, 0);

  REQUIRE(batches.size() == 4);
  const std::array<int64_t, 4> sizes{64, 64, 64, 8};
  for (std::size_t i = 0; i < batches.size(); ++i) {
    INFO("batch " << i);
    CHECK(batches[i].images.scalar_type() == torch::kFloat32);
    CHECK(batches[i].images.sizes() ==
          torch::IntArrayRef({sizes[i], 3, 32, 32}));
    CHECK(batches[i].labels.scalar_type() == torch::kInt64);
    CHECK(batches[i].labels.sizes() == torch::IntArrayRef({sizes[i]}));
  }
  // Every image appears once per epoch.
  CHECK(torch::equal(std::get<0>(torch::sort(epoch_labels(batches))),
                     torch::arange(200, torch::kInt64)));
}

TEST_CASE("BatchLoader batch count per epoch", "[loader]") {
  const Cifar10 data = indexed_images(200);

  SECTION("keeping the last partial batch") {
    BatchLoader loader(data, LoaderOptions().batch_size(64));
    CHECK(loader.batches_per_epoch() == 4);
    CHECK(read_epoch(loader, 0).size() == 4);
  }
  SECTION("dropping the last partial batch") {
    BatchLoader loader(data, LoaderOptions().batch_size(64).drop_last(true));
    CHECK(loader.batches_per_epoch() == 3);
    const std::vector<Batch> batches = read_epoch(loader, 0);
    REQUIRE(batches.size() == 3);
    CHECK(batches.back().labels.size(0) == 64);
  }
  SECTION("size a multiple of the batch size") {
    BatchLoader loader(data.subset(0, 128),
                       LoaderOptions().batch_size(64).drop_last(true));
    CHECK(loader.batches_per_epoch() == 2);
    CHECK(read_epoch(loader, 0).size() == 2);
  }
  SECTION("next after the last batch") {
    BatchLoader loader(data, LoaderOptions().batch_size(64));
    read_epoch(loader, 0);
    CHECK_FALSE(loader.next().has_value());
  }
}

TEST_CASE("BatchLoader same seed and epoch", "[loader]") {
  const Cifar10 data = indexed_images(300);
  const LoaderOptions options =
      LoaderOptions().batch_size(32).seed(11).augment_options(
          AugmentOptions().cutout(8));
  BatchLoader first(data, options);
  BatchLoader second(data, LoaderOptions(options).prefetch(1));

  const std::vector<Batch> epoch3 = read_epoch(first, 3);
  CHECK(same_batches(epoch3, read_epoch(second, 3)));
  CHECK(same_batches(epoch3, read_epoch(first, 3)));
}

TEST_CASE("BatchLoader different epoch or seed", "[loader]") {
  const Cifar10 data = indexed_images(300);
  BatchLoader loader(data, LoaderOptions().batch_size(32).seed(11));
  BatchLoader reseeded(data, LoaderOptions().batch_size(32).seed(12));

  const torch::Tensor epoch0 = epoch_labels(read_epoch(loader, 0));
  const torch::Tensor epoch1 = epoch_labels(read_epoch(loader, 1));
  const torch::Tensor seed12 = epoch_labels(read_epoch(reseeded, 0));
  CHECK_FALSE(torch::equal(epoch0, epoch1));
  CHECK_FALSE(torch::equal(epoch0, seed12));
  CHECK(torch::equal(std::get<0>(torch::sort(epoch1)),
                     torch::arange(300, torch::kInt64)));
}

TEST_CASE("BatchLoader without augmentation normalizes", "[loader]") {
  const Cifar10 data = indexed_images(150);
  BatchLoader loader(data, LoaderOptions().batch_size(64).augment(false));

  for (const Batch& batch : read_epoch(loader, 2)) {
    const torch::Tensor expected =
        normalize(data.images.index_select(0, batch.labels));
    CHECK(torch::equal(batch.images, expected));
  }
}

TEST_CASE("BatchLoader without shuffle keeps order", "[loader]") {
  BatchLoader loader(indexed_images(100),
                     LoaderOptions().batch_size(30).shuffle(false));
  CHECK(torch::equal(epoch_labels(read_epoch(loader, 5)),
                     torch::arange(100, torch::kInt64)));
}

TEST_CASE("BatchLoader crop pads with zeros", "[loader]") {
  // Red encodes the row and green the column (8 * index + 7, never 0), so
  // each output pixel shows where it was read from; 0 marks padding.
  const int64_t count = 64;
  torch::Tensor images = torch::empty({count, 3, 32, 32}, torch::kUInt8);
  const torch::Tensor coordinate = torch::arange(32, torch::kInt64) * 8 + 7;
  images.select(1, 0).copy_(
      coordinate.view({1, 32, 1}).expand({count, 32, 32}));
  images.select(1, 1).copy_(
      coordinate.view({1, 1, 32}).expand({count, 32, 32}));
  images.select(1, 2).fill_(200);

  const int64_t padding = 4;
  BatchLoader loader(Cifar10{images, torch::arange(count, torch::kInt64)},
                     LoaderOptions().batch_size(count).seed(3).augment_options(
                         AugmentOptions().padding(padding).flip(true)));
  const std::vector<Batch> batches = read_epoch(loader, 0);
  REQUIRE(batches.size() == 1);
  const torch::Tensor output = batches[0].images;
  REQUIRE(output.sizes() == torch::IntArrayRef({count, 3, 32, 32}));

  int64_t shifted = 0;
  int64_t flipped = 0;
  for (int64_t i = 0; i < count; ++i) {
    INFO("image " << i);
    const auto channel_value = [&](int64_t channel, int64_t y, int64_t x) {
      return output[i][channel][y][x].item<float>();
    };
    const auto& table = isdarts::data::detail::normalization_table();
    const auto decode = [&](int64_t channel, float value) -> int64_t {
      for (int64_t v = 7; v < 256; v += 8) {
        if (table[channel][v] == value) {
          return (v - 7) / 8;
        }
      }
      return -1;
    };
    // Pixels (16, 16) and (16, 17) read inside the image for any shift up
    // to 4, so they give the shift and whether the image was flipped.
    const int64_t dy = decode(0, channel_value(0, 16, 16)) - 16;
    const int64_t column = decode(1, channel_value(1, 16, 16));
    const int64_t column_right = decode(1, channel_value(1, 16, 17));
    REQUIRE(column >= 0);
    const bool flip = column_right < column;
    const int64_t dx = column - (flip ? 15 : 16);
    REQUIRE(std::abs(dy) <= padding);
    REQUIRE(std::abs(dx) <= padding);
    shifted += (dy != 0 || dx != 0) ? 1 : 0;
    flipped += flip ? 1 : 0;

    // Rebuild the expected image in uint8 and compare after normalization.
    torch::Tensor expected = torch::zeros({1, 3, 32, 32}, torch::kUInt8);
    auto pixels = expected.accessor<uint8_t, 4>()[0];
    for (int64_t y = 0; y < 32; ++y) {
      for (int64_t x = 0; x < 32; ++x) {
        const int64_t source_y = y + dy;
        const int64_t source_x = (flip ? 31 - x : x) + dx;
        if (source_y < 0 || source_y >= 32 || source_x < 0 || source_x >= 32) {
          continue;  // Padding stays 0 before normalization.
        }
        pixels[0][y][x] = static_cast<uint8_t>(8 * source_y + 7);
        pixels[1][y][x] = static_cast<uint8_t>(8 * source_x + 7);
        pixels[2][y][x] = 200;
      }
    }
    CHECK(torch::equal(output[i], normalize(expected)[0]));
  }
  // With 64 images, all-unshifted or all-same-flip has probability < 1e-18.
  CHECK(shifted > 0);
  CHECK(flipped > 0);
  CHECK(flipped < count);
}

TEST_CASE("BatchLoader cutout zeroes a square", "[loader]") {
  const int64_t count = 64;
  const int64_t side = 8;
  BatchLoader loader(
      Cifar10{torch::full({count, 3, 32, 32}, 255, torch::kUInt8),
              torch::zeros({count}, torch::kInt64)},
      LoaderOptions().batch_size(count).seed(5).augment_options(
          AugmentOptions().padding(0).flip(false).cutout(side)));
  const torch::Tensor output = read_epoch(loader, 0).at(0).images;
  const torch::Tensor white =
      normalize(torch::full({1, 3, 32, 32}, 255, torch::kUInt8))[0];

  int64_t full_squares = 0;
  for (int64_t i = 0; i < count; ++i) {
    INFO("image " << i);
    const torch::Tensor zero = output[i] == 0;
    // Same square in every channel, and white everywhere else.
    CHECK(torch::equal(zero[0], zero[1]));
    CHECK(torch::equal(zero[0], zero[2]));
    CHECK(torch::equal(output[i].masked_fill(zero, 0),
                       white.masked_fill(zero, 0)));

    const torch::Tensor rows = zero[0].any(1).nonzero().flatten();
    const torch::Tensor columns = zero[0].any(0).nonzero().flatten();
    REQUIRE(rows.numel() > 0);
    const int64_t height = rows.numel();
    const int64_t width = columns.numel();
    CHECK(height <= side);
    CHECK(width <= side);
    CHECK(rows.max().item<int64_t>() - rows.min().item<int64_t>() + 1 ==
          height);
    CHECK(zero[0].sum().item<int64_t>() == height * width);
    const bool inside =
        rows.min().item<int64_t>() > 0 && rows.max().item<int64_t>() < 31 &&
        columns.min().item<int64_t>() > 0 && columns.max().item<int64_t>() < 31;
    if (inside) {
      CHECK(height == side);
      CHECK(width == side);
    }
    full_squares += (height == side && width == side) ? 1 : 0;
  }
  CHECK(full_squares > 0);
}

TEST_CASE("BatchLoader restart mid epoch", "[loader]") {
  const Cifar10 data = indexed_images(500);
  const LoaderOptions options = LoaderOptions().batch_size(16).prefetch(2);
  BatchLoader loader(data, options);
  BatchLoader reference(data, options);

  loader.start_epoch(0);
  REQUIRE(loader.next().has_value());
  const std::vector<Batch> restarted = read_epoch(loader, 1);
  CHECK(restarted.size() == 32);
  CHECK(same_batches(restarted, read_epoch(reference, 1)));

  // Destroying a loader in the middle of an epoch joins its thread.
  BatchLoader abandoned(data, options);
  abandoned.start_epoch(0);
  CHECK(abandoned.next().has_value());
}

TEST_CASE("BatchLoader next before start_epoch", "[loader]") {
  BatchLoader loader(indexed_images(10));
  CHECK_THROWS_AS(loader.next(), Error);
}

TEST_CASE("BatchLoader rejects invalid options", "[loader]") {
  const Cifar10 data = indexed_images(10);

  CHECK_THROWS_AS(BatchLoader(data, LoaderOptions().batch_size(0)),
                  InvalidArgument);
  CHECK_THROWS_AS(BatchLoader(data, LoaderOptions().prefetch(0)),
                  InvalidArgument);
  CHECK_THROWS_AS(BatchLoader(data, LoaderOptions().augment_options(
                                        AugmentOptions().padding(-1))),
                  InvalidArgument);
  CHECK_THROWS_AS(BatchLoader(data, LoaderOptions().augment_options(
                                        AugmentOptions().cutout(-1))),
                  InvalidArgument);
  CHECK_THROWS_AS(BatchLoader(Cifar10{data.images, data.labels.slice(0, 0, 9)},
                              LoaderOptions()),
                  InvalidArgument);
  CHECK_THROWS_AS(
      BatchLoader(Cifar10{data.images.to(torch::kFloat32), data.labels},
                  LoaderOptions()),
      InvalidArgument);

  BatchLoader loader(data);
  CHECK_THROWS_AS(loader.start_epoch(-1), InvalidArgument);
}

TEST_CASE("BatchLoader real training epoch", "[data]") {
  BatchLoader loader(load_cifar10(test_cifar10_dir(), Split::kTrain),
                     LoaderOptions().seed(1));
  REQUIRE(loader.batches_per_epoch() == 782);

  const std::vector<Batch> batches = read_epoch(loader, 0);
  REQUIRE(batches.size() == 782);
  CHECK(batches.back().labels.size(0) == 50000 - 781 * 64);
  const torch::Tensor labels = epoch_labels(batches);
  check_class_counts(labels, 5000);
  for (const Batch& batch : batches) {
    if (!torch::isfinite(batch.images).all().item<bool>()) {
      FAIL("a batch contains a non-finite value");
    }
  }
}

// ---------------------------------------------------------------------------
// NAS-Bench-201 table

TEST_CASE("Nb201Table real table rows", "[data]") {
  const Nb201Table table = Nb201Table::load(test_nb201_table());
  CHECK(table.size() == 15625);

  struct Row {
    const char* architecture;
    double cifar10;
    double cifar100;
    double imagenet16_120;
  };
  const std::vector<Row> rows = {
      {"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
       "nor_conv_3x3~1|nor_conv_3x3~2|",
       94.36, 73.51, 46.34},
      {"|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|"
       "skip_connect~1|skip_connect~2|",
       54.30, 15.61, 16.32},
      {"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
       "nor_conv_3x3~1|nor_conv_1x1~2|",
       94.37, 73.22, 46.71},
  };
  for (const Row& row : rows) {
    INFO(row.architecture);
    const auto accuracy = table.find(row.architecture);
    REQUIRE(accuracy.has_value());
    CHECK(accuracy->cifar10 == Approx(row.cifar10).margin(0.01));
    CHECK(accuracy->cifar100 == Approx(row.cifar100).margin(0.01));
    CHECK(accuracy->imagenet16_120 == Approx(row.imagenet16_120).margin(0.01));
  }

  CHECK_FALSE(
      table.find("|none~0|+|none~0|none~1|+|none~0|none~1|").has_value());
  CHECK_FALSE(table.find("").has_value());
  // A UniqueString is not an architecture string.
  CHECK_FALSE(table.find("(0)@nor_conv_3x3+0").has_value());
}

TEST_CASE("Nb201Table columns in any order", "[nb201]") {
  TempDir temp;
  const fs::path file = write_text(
      temp.path() / "table.csv",
      "UniqueString,ArchitectureString,ImageNetTestAccuracy200Epochs,"
      "CIFAR100TestAccuracy200Epochs,CIFAR10TestAccuracy200Epochs\r\n"
      "u,|a~0|,30.5,60.25,90.125\r\n"
      "u,\"|b~0|\",1,2,3\r\n"
      "\r\n");

  const Nb201Table table = Nb201Table::load(file);
  REQUIRE(table.size() == 2);
  const auto a = table.find("|a~0|");
  REQUIRE(a.has_value());
  CHECK(a->cifar10 == 90.125);
  CHECK(a->cifar100 == 60.25);
  CHECK(a->imagenet16_120 == 30.5);
  CHECK(table.find("|b~0|").has_value());
}

TEST_CASE("Nb201Table skips byte order mark", "[nb201]") {
  TempDir temp;
  const fs::path file = write_text(
      temp.path() / "table.csv",
      std::string("\xEF\xBB\xBF") + kTableHeader + "90,70,40,|a~0|,u\n");
  CHECK(Nb201Table::load(file).size() == 1);
}

TEST_CASE("Nb201Table malformed rows", "[nb201]") {
  TempDir temp;
  const fs::path file = temp.path() / "table.csv";
  const std::string good_row = "90,70,40,|a~0|,u\n";

  SECTION("wrong column count") {
    write_text(file, std::string(kTableHeader) + good_row + "91,71,|b~0|,u\n");
    const std::string message =
        message_of<Error>([&] { Nb201Table::load(file); });
    CHECK_THAT(message, ContainsSubstring(file.string() + ":3"));
    CHECK_THAT(message, ContainsSubstring("91,71,|b~0|,u"));
    CHECK_THAT(message, ContainsSubstring("4 columns but the header has 5"));
  }
  SECTION("non-numeric accuracy") {
    write_text(file, std::string(kTableHeader) + "90,n/a,40,|a~0|,u\n");
    const std::string message =
        message_of<Error>([&] { Nb201Table::load(file); });
    CHECK_THAT(message, ContainsSubstring(file.string() + ":2"));
    CHECK_THAT(message, ContainsSubstring("CIFAR100TestAccuracy200Epochs"));
    CHECK_THAT(message, ContainsSubstring("'n/a'"));
  }
  SECTION("accuracy out of range") {
    write_text(file, std::string(kTableHeader) + "190,70,40,|a~0|,u\n");
    const std::string message =
        message_of<Error>([&] { Nb201Table::load(file); });
    CHECK_THAT(message, ContainsSubstring(file.string() + ":2"));
    CHECK_THAT(message, ContainsSubstring("'190'"));
  }
  SECTION("duplicate architecture") {
    write_text(file, std::string(kTableHeader) + good_row + good_row);
    const std::string message =
        message_of<Error>([&] { Nb201Table::load(file); });
    CHECK_THAT(message, ContainsSubstring(file.string() + ":3"));
    CHECK_THAT(message, ContainsSubstring("|a~0|"));
    CHECK_THAT(message, ContainsSubstring("line 2"));
  }
  SECTION("missing column") {
    write_text(file,
               "CIFAR10TestAccuracy200Epochs,CIFAR100TestAccuracy200Epochs,"
               "ArchitectureString\n90,70,|a~0|\n");
    const std::string message =
        message_of<Error>([&] { Nb201Table::load(file); });
    CHECK_THAT(message, ContainsSubstring(file.string() + ":1"));
    CHECK_THAT(message, ContainsSubstring("ImageNetTestAccuracy200Epochs"));
  }
  SECTION("header without rows") {
    write_text(file, kTableHeader);
    const std::string message =
        message_of<Error>([&] { Nb201Table::load(file); });
    CHECK_THAT(message, ContainsSubstring(file.string()));
    CHECK_THAT(message, ContainsSubstring("no rows"));
  }
  SECTION("empty file") {
    write_text(file, "");
    const std::string message =
        message_of<Error>([&] { Nb201Table::load(file); });
    CHECK_THAT(message, ContainsSubstring("no header"));
  }
}

TEST_CASE("Nb201Table missing file", "[nb201]") {
  TempDir temp;
  const fs::path missing = temp.path() / "nb201-accuracy.csv";

  const std::string message =
      message_of<Error>([&] { Nb201Table::load(missing); });
  CHECK_THAT(message, ContainsSubstring(missing.string()));
  CHECK_THAT(message, ContainsSubstring("not found"));
  CHECK_THAT(message, ContainsSubstring("ISDARTS_NB201_TABLE"));
}
