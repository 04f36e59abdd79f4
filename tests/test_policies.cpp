// Tests of the baseline and ablation policies: AlphaMetric, OneShot,
// RandomMetric and FisherMetric, alone and in searches on real images.

#ifdef ISDARTS_CATCH2_V3
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "isdarts/isdarts.hpp"
#include "test_paths.hpp"

#ifdef ISDARTS_CATCH2_V3
using Catch::Approx;
#endif
using isdarts::AlphaMetric;
using isdarts::FisherMetric;
using isdarts::Mask;
using isdarts::MeasureContext;
using isdarts::NB201Space;
using isdarts::OneShot;
using isdarts::RandomMetric;

namespace {

isdarts::SearchSetup nb201_setup(uint64_t seed) {
  return isdarts::SearchSetup{6, 5, isdarts::nb201_operations(), seed,
                              torch::kCPU};
}

/// A measurement context whose supernet must not run.
MeasureContext context_without_supernet(const Mask& mask, int64_t step,
                                        uint64_t seed) {
  return MeasureContext(mask, step, seed,
                        [](const MeasureContext::OutputVisitor&) {
                          FAIL("the metric ran the supernet");
                        });
}

/// A measurement context that shows `outputs` (edge, candidate, feature
/// map) to the metric in place of a supernet.
MeasureContext context_with_outputs(
    const Mask& mask,
    std::vector<std::pair<std::pair<int64_t, int64_t>, torch::Tensor>>
        outputs) {
  return MeasureContext(
      mask, 1, 0, [outputs](const MeasureContext::OutputVisitor& visit) {
        for (const auto& entry : outputs) {
          visit(entry.first.first, entry.first.second, entry.second);
        }
      });
}

isdarts::SearchOptions tiny_options(int64_t epochs) {
  return isdarts::SearchOptions()
      .epochs(epochs)
      .batch_size(32)
      .importance_images(32)
      .threads(1)
      .verbose(false);
}

NB201Space tiny_space() {
  return NB201Space(NB201Space::Options().channels(4).cells(1));
}

/// Every parameter of two supernets is bitwise equal.
template <class Supernet>
bool same_parameters(const Supernet& a, const Supernet& b) {
  auto pa = a->parameters();
  auto pb = b->parameters();
  if (pa.size() != pb.size()) return false;
  for (std::size_t i = 0; i < pa.size(); ++i) {
    if (!torch::equal(pa[i], pb[i])) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("alpha mixes kept candidates only", "[policies][alpha]") {
  AlphaMetric metric;
  metric.reset(nb201_setup(3));
  Mask mask(6, 5);
  mask.discard(0, 0);
  mask.discard(0, 2);
  mask.discard(1, 4);

  auto weights = metric.mixing_weights(mask);
  REQUIRE(weights.sizes() == torch::IntArrayRef({6, 5}));
  CHECK(weights[0][0].item<double>() == 0.0);
  CHECK(weights[0][2].item<double>() == 0.0);
  CHECK(weights[1][4].item<double>() == 0.0);

  // Each edge's weights are the softmax over its kept candidates.
  auto alpha = metric.alpha().detach().to(torch::kFloat64);
  double denominator = 0.0;
  for (int64_t c : {1, 3, 4}) denominator += std::exp(alpha[0][c].item<double>());
  for (int64_t c : {1, 3, 4}) {
    double expected = std::exp(alpha[0][c].item<double>()) / denominator;
    CHECK(weights[0][c].item<double>() == Approx(expected).epsilon(1e-6));
  }
  for (int64_t e = 0; e < 6; ++e) {
    CHECK(weights[e].sum().item<double>() == Approx(1.0).epsilon(1e-6));
  }

  // Discarded candidates get no gradient.
  weights.select(0, 0).select(0, 1).backward();
  auto gradient = metric.alpha().grad();
  REQUIRE(gradient.defined());
  CHECK(gradient[0][0].item<double>() == 0.0);
  CHECK(gradient[0][2].item<double>() == 0.0);
  CHECK(gradient[0][1].item<double>() != 0.0);

  // Importance is the mixing weight, as float64 on the CPU.
  auto context = context_without_supernet(mask, 1, 3);
  auto importance = metric.importance(context);
  CHECK(importance.scalar_type() == torch::kFloat64);
  CHECK(torch::allclose(importance, weights.detach().to(torch::kFloat64)));
}

TEST_CASE("alpha initialization follows the seed", "[policies][alpha]") {
  AlphaMetric first;
  AlphaMetric again;
  AlphaMetric other;
  first.reset(nb201_setup(5));
  again.reset(nb201_setup(5));
  other.reset(nb201_setup(6));

  CHECK(torch::equal(first.alpha(), again.alpha()));
  CHECK_FALSE(torch::equal(first.alpha(), other.alpha()));
  CHECK(first.alpha().requires_grad());
  CHECK(first.alpha().abs().max().item<double>() < 1e-2);
  CHECK(first.alpha().abs().max().item<double>() > 0.0);
}

TEST_CASE("alpha rejects invalid options", "[policies][alpha]") {
  using Options = isdarts::AlphaMetricOptions;
  CHECK_THROWS_AS(AlphaMetric(Options().learning_rate(-1.0)),
                  isdarts::InvalidArgument);
  CHECK_THROWS_AS(AlphaMetric(Options().beta1(1.0)),
                  isdarts::InvalidArgument);
  CHECK_THROWS_AS(AlphaMetric(Options().weight_decay(-1e-3)),
                  isdarts::InvalidArgument);
  AlphaMetric unset;
  CHECK_THROWS_AS(unset.mixing_weights(Mask(6, 5)), isdarts::Error);
}

TEST_CASE("metrics without state are not bi-level", "[policies]") {
  STATIC_REQUIRE(isdarts::is_bilevel_metric<AlphaMetric>());
  STATIC_REQUIRE_FALSE(isdarts::is_bilevel_metric<isdarts::IIMMetric>());
  STATIC_REQUIRE_FALSE(isdarts::is_bilevel_metric<FisherMetric>());
  STATIC_REQUIRE_FALSE(isdarts::is_bilevel_metric<RandomMetric>());
}

TEST_CASE("bi-level training keeps the halves apart",
          "[data][policies][alpha]") {
  // Images 0-127 train the weights and 128-255 the architecture weights.
  auto loaded = isdarts::data::load_cifar10(test_cifar10_dir(),
                                            isdarts::data::Split::kTrain, 384);
  auto original = loaded.subset(0, 256);
  auto other_second_half = isdarts::data::Cifar10{
      torch::cat({loaded.images.narrow(0, 0, 128),
                  loaded.images.narrow(0, 256, 128)}),
      torch::cat({loaded.labels.narrow(0, 0, 128),
                  loaded.labels.narrow(0, 256, 128)})};
  auto other_first_half = isdarts::data::Cifar10{
      torch::cat({loaded.images.narrow(0, 256, 128),
                  loaded.images.narrow(0, 128, 128)}),
      torch::cat({loaded.labels.narrow(0, 256, 128),
                  loaded.labels.narrow(0, 128, 128)})};

  using Searcher = isdarts::Searcher<NB201Space, AlphaMetric, OneShot>;
  auto search = [&](const isdarts::data::Cifar10& train, double rate) {
    auto searcher = std::make_unique<Searcher>(
        tiny_options(1), tiny_space(),
        AlphaMetric(isdarts::AlphaMetricOptions().learning_rate(rate)));
    searcher->run(train);
    return searcher;
  };
  AlphaMetric initial;
  initial.reset(nb201_setup(0));

  SECTION("architecture weights train on the second half") {
    auto trained = search(original, 3e-4);
    auto change = (trained->metric().alpha() - initial.alpha()).abs().max();
    CHECK(change.item<double>() > 0.0);
  }

  SECTION("network weights never see the second half") {
    // With frozen architecture weights, the second half can change only the
    // network weights' gradients, which must never reach them.
    auto baseline = search(original, 0.0);
    auto changed_second = search(other_second_half, 0.0);
    CHECK(torch::equal(baseline->metric().alpha(), initial.alpha()));
    CHECK(same_parameters(baseline->supernet(), changed_second->supernet()));

    // The comparison detects a change of the images the weights train on.
    auto changed_first = search(other_first_half, 0.0);
    CHECK_FALSE(
        same_parameters(baseline->supernet(), changed_first->supernet()));
  }
}

TEST_CASE("one-shot keeps the survivors in one step", "[policies][oneshot]") {
  OneShot schedule;
  CHECK(schedule.num_steps() == 1);
  CHECK(schedule.step_epoch(1, 7) == 7);
  CHECK(schedule.kept(1, 5, 1) == 1);
  CHECK(schedule.kept(1, 14, 2) == 2);
  CHECK_NOTHROW(schedule.validate(1, 5, 1));
  CHECK_THROWS_AS(schedule.validate(10, 2, 3), isdarts::InvalidArgument);

  // A shrink step discards all but one candidate of every edge at once.
  Mask mask(6, 5);
  auto importance = torch::arange(30, torch::kFloat64).reshape({6, 5});
  NB201Space space;
  auto subsets = isdarts::PerEdgeSubsets().subsets(space.edges(), 5);
  auto discarded = isdarts::detail::discard_least_important(
      mask, importance, subsets, schedule, 1, true, space.edges(),
      space.candidates());
  CHECK(discarded.size() == 24);
  for (int64_t e = 0; e < 6; ++e) {
    REQUIRE(mask.num_kept(e) == 1);
    CHECK(mask.kept(e, 4));
  }
}

namespace {

/// A schedule whose only step follows an epoch that the search never
/// reaches, and whose own validation lets it pass.
struct PastTheEndSchedule {
  static constexpr const char* name = "past-the-end";
  int64_t num_steps() const { return 1; }
  int64_t step_epoch(int64_t /*step*/, int64_t epochs) const {
    return epochs + 1;
  }
  int64_t kept(int64_t /*step*/, int64_t /*size*/, int64_t survivors) const {
    return survivors;
  }
  void validate(int64_t /*epochs*/, int64_t /*max_size*/,
                int64_t /*survivors*/) const {}
};

}  // namespace

TEST_CASE("searcher rejects unreachable steps", "[policies][schedule]") {
  torch::manual_seed(3);
  isdarts::data::Cifar10 train{
      torch::randint(0, 256, {256, 3, 32, 32}, torch::kUInt8),
      torch::randint(0, 10, {256}, torch::kInt64)};
  isdarts::Searcher<NB201Space, isdarts::IIMMetric, PastTheEndSchedule>
      searcher(isdarts::SearchOptions().epochs(2).verbose(false),
               NB201Space(NB201Space::Options().channels(2).cells(1)));
  CHECK_THROWS_AS(searcher.run(train), isdarts::InvalidArgument);
  CHECK_THROWS_WITH(searcher.run(train),
                    ISDARTS_CONTAINS("shrink step 1 after epoch 3"));
}

TEST_CASE("random importance follows the seed", "[policies][random]") {
  RandomMetric metric;
  Mask mask(6, 5);
  auto context = context_without_supernet(mask, 1, 7);
  auto same = context_without_supernet(mask, 1, 7);
  auto other_seed = context_without_supernet(mask, 1, 8);
  auto other_step = context_without_supernet(mask, 2, 7);

  auto values = metric.importance(context);
  REQUIRE(values.sizes() == torch::IntArrayRef({6, 5}));
  CHECK(values.scalar_type() == torch::kFloat64);
  CHECK(torch::equal(values, metric.importance(same)));
  CHECK_FALSE(torch::equal(values, metric.importance(other_seed)));
  CHECK_FALSE(torch::equal(values, metric.importance(other_step)));
  CHECK(values.min().item<double>() >= 0.0);
  CHECK(values.max().item<double>() < 1.0);
}

TEST_CASE("fisher of a known feature map", "[policies][fisher]") {
  // One image, 2 channels, 1x2 pixels. Pixel 1 has channels (1, 3): mean 2,
  // sample variance 2, so each element scores 3 * 1 / 2^3 = 0.375. Pixel 2
  // has (0, 4): mean 2, variance 8, each 3 * 4 / 8^3 = 0.0234375. The mean
  // over the 4 elements is 0.19921875.
  auto output =
      torch::tensor({1.0, 0.0, 3.0, 4.0}, torch::kFloat32).reshape({1, 2, 1, 2});
  FisherMetric metric;
  auto score = metric.score(output);
  REQUIRE(score.sizes() == torch::IntArrayRef({1}));
  CHECK(score.scalar_type() == torch::kFloat64);
  CHECK(score[0].item<double>() == Approx(0.19921875).epsilon(1e-12));

  // Scaling the output by k scales the value by 1/k^4.
  auto scaled = metric.score(output * 2.0);
  CHECK(scaled[0].item<double>() == Approx(0.19921875 / 16.0).epsilon(1e-12));
}

TEST_CASE("fisher of none is infinite", "[policies][fisher]") {
  FisherMetric metric;
  auto none = torch::zeros({2, 4, 3, 3});
  auto score = metric.score(none);
  CHECK(std::isinf(score[0].item<double>()));
  CHECK(score[0].item<double>() > 0.0);
  CHECK(std::isinf(score[1].item<double>()));
  // One channel has no sample variance either.
  CHECK(std::isinf(metric.score(torch::ones({1, 1, 2, 2}))[0].item<double>()));
  STATIC_REQUIRE_FALSE(isdarts::larger_is_more_important<FisherMetric>());

  // Through a shrink step, `none` is the first candidate to leave.
  auto known =
      torch::tensor({1.0, 0.0, 3.0, 4.0}, torch::kFloat32).reshape({1, 2, 1, 2});
  Mask mask(6, 5);
  std::vector<std::pair<std::pair<int64_t, int64_t>, torch::Tensor>> outputs;
  for (int64_t e = 0; e < 6; ++e) {
    outputs.push_back({{e, 0}, torch::zeros({1, 2, 1, 2})});
    for (int64_t c = 1; c < 5; ++c) {
      outputs.push_back({{e, c}, known * static_cast<double>(c)});
    }
  }
  auto context = context_with_outputs(mask, outputs);
  auto importance = metric.importance(context);
  CHECK(std::isinf(importance[0][0].item<double>()));
  CHECK(importance[0][1].item<double>() == Approx(0.19921875));

  NB201Space space;
  auto subsets = isdarts::PerEdgeSubsets().subsets(space.edges(), 5);
  auto discarded = isdarts::detail::discard_least_important(
      mask, importance, subsets, isdarts::LinearShrink(), 1,
      isdarts::larger_is_more_important<FisherMetric>(), space.edges(),
      space.candidates());
  REQUIRE(discarded.size() == 6);
  for (const auto& d : discarded) CHECK(d.operation == "none");
}

namespace {

/// Runs a tiny search and checks that it returns a valid genotype that the
/// benchmark lists, with the schedule's shrink steps.
template <class Metric, class Schedule>
void check_tiny_search(const isdarts::data::Cifar10& train,
                       Schedule schedule,
                       const isdarts::benchmark::Nb201Table& table) {
  const int64_t epochs = 5;
  isdarts::Searcher<NB201Space, Metric, Schedule> searcher(
      tiny_options(epochs), tiny_space(), Metric(), schedule);
  auto result = searcher.run(train);

  for (int64_t e = 0; e < 6; ++e) CHECK(result.mask.num_kept(e) == 1);
  auto text = NB201Space::format_genotype(result.genotype);
  CHECK(NB201Space::parse_genotype(text) == result.genotype);
  CHECK(table.find(text).has_value());
  REQUIRE(static_cast<int64_t>(result.shrink_steps.size()) ==
          schedule.num_steps());
  CHECK(result.shrink_steps.back().epoch ==
        schedule.step_epoch(schedule.num_steps(), epochs));
  CHECK(result.shrink_steps.back().kept_after == 6);
  CHECK(static_cast<int64_t>(result.epochs.size()) == epochs);
}

}  // namespace

TEST_CASE("six policy combinations search", "[data][policies][search]") {
  using namespace isdarts;
  auto train = data::load_cifar10(test_cifar10_dir(), data::Split::kTrain, 300);
  auto table = benchmark::Nb201Table::load(test_nb201_table());
  auto linear = LinearShrink(LinearShrinkOptions().interval(1));

  SECTION("IIM with linear shrinking (IS-DARTS)") {
    check_tiny_search<IIMMetric>(train, linear, table);
  }
  SECTION("Fisher with linear shrinking") {
    check_tiny_search<FisherMetric>(train, linear, table);
  }
  SECTION("IIM one-shot (I-DARTS)") {
    check_tiny_search<IIMMetric>(train, OneShot(), table);
  }
  SECTION("alpha with linear shrinking (S-DARTS)") {
    check_tiny_search<AlphaMetric>(train, linear, table);
  }
  SECTION("alpha one-shot (DARTS)") {
    check_tiny_search<AlphaMetric>(train, OneShot(), table);
  }
  SECTION("random with linear shrinking") {
    check_tiny_search<RandomMetric>(train, linear, table);
  }
}
