// Tests of the NAS-Bench-201 space, the IIM metric, the linear shrink
// schedule and the comparison subsets.

#ifdef ISDARTS_CATCH2_V3
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif

#include <string>
#include <vector>

#include "isdarts/isdarts.hpp"
#include "test_paths.hpp"

using isdarts::Mask;
using isdarts::NB201Space;

namespace {

const std::string kPublished =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
    "nor_conv_3x3~1|nor_conv_3x3~2|";

std::string error_of(const std::string& text) {
  try {
    NB201Space::parse_genotype(text);
  } catch (const isdarts::InvalidArgument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("genotype string round trip", "[nb201][genotype]") {
  auto genotype = NB201Space::parse_genotype(kPublished);
  CHECK(genotype.operations[0] == "nor_conv_3x3");
  CHECK(genotype.operations[3] == "skip_connect");
  CHECK(NB201Space::format_genotype(genotype) == kPublished);

  for (const auto& op : isdarts::nb201_operations()) {
    isdarts::Nb201Genotype uniform;
    uniform.operations.fill(op);
    auto text = NB201Space::format_genotype(uniform);
    CHECK(NB201Space::parse_genotype(text) == uniform);
  }
}

TEST_CASE("genotype rejects malformed strings", "[nb201][genotype]") {
  SECTION("unknown operation is quoted") {
    auto message = error_of(
        "|conv_5x5~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
        "nor_conv_3x3~1|nor_conv_3x3~2|");
    CHECK_THAT(message, ISDARTS_CONTAINS("unknown operation "
                                                  "'conv_5x5'"));
  }
  SECTION("wrong node count") {
    auto message = error_of("|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|");
    CHECK_THAT(message, ISDARTS_CONTAINS("expected 3 nodes"));
  }
  SECTION("wrong entry count") {
    auto message = error_of(
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|"
        "nor_conv_3x3~2|");
    CHECK_THAT(message, ISDARTS_CONTAINS("node 2 part "
                                                  "'|nor_conv_3x3~0|'"));
  }
  SECTION("wrong input node") {
    auto message = error_of(
        "|nor_conv_3x3~0|+|nor_conv_3x3~1|nor_conv_3x3~1|+|skip_connect~0|"
        "nor_conv_3x3~1|nor_conv_3x3~2|");
    CHECK_THAT(message, ISDARTS_CONTAINS("'nor_conv_3x3~1' of node "
                                                  "2"));
  }
  SECTION("missing separator") {
    auto message = error_of(
        "|nor_conv_3x3|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
        "nor_conv_3x3~1|nor_conv_3x3~2|");
    CHECK_THAT(message, ISDARTS_CONTAINS("'operation~input'"));
  }
  SECTION("empty string") { CHECK_FALSE(error_of("").empty()); }
}

TEST_CASE("IIM of a known tensor", "[iim]") {
  // One image, 2 channels, 1x2 pixels. Pixel 0 holds channel values 1 and
  // 3 (population variance 1); pixel 1 holds 0 and 4 (variance 4). The
  // importance is (1 + 4) / 3.
  auto output = torch::tensor({1.0f, 0.0f, 3.0f, 4.0f}).reshape({1, 2, 1, 2});
  auto score = isdarts::IIMMetric().score(output);
  REQUIRE(score.sizes() == torch::IntArrayRef({1}));
  CHECK(score[0].item<double>() == Approx(5.0 / 3.0));

  // Two images: the second is the first scaled by 2, so variance times 4.
  auto batch = torch::cat({output, output * 2});
  auto scores = isdarts::IIMMetric().score(batch);
  CHECK(scores[1].item<double>() == Approx(20.0 / 3.0));
}

TEST_CASE("IIM of none is zero", "[iim]") {
  auto zeros = torch::zeros({4, 16, 8, 8});
  auto score = isdarts::IIMMetric().score(zeros);
  CHECK(score.abs().max().item<double>() == 0.0);

  // Through the supernet's probe: every cell reports `none` as zeros.
  torch::manual_seed(0);
  auto net = NB201Space(NB201Space::Options().channels(4).cells(1))
                 .make_supernet();
  Mask mask(6, 5);
  auto images = torch::randn({8, 3, 32, 32});
  isdarts::MeasureContext context(mask, 1, 0, [&](const auto& visit) {
    torch::NoGradGuard no_grad;
    net->set_probe(visit);
    net->forward(images, {});
    net->set_probe(nullptr);
  });
  auto importance = isdarts::IIMMetric().importance(context);
  REQUIRE(importance.sizes() == torch::IntArrayRef({6, 5}));
  for (int64_t e = 0; e < 6; ++e) {
    CHECK(importance[e][0].item<double>() == 0.0);
    for (int64_t c = 1; c < 5; ++c) {
      CHECK(importance[e][c].item<double>() > 0.0);
    }
  }
}

TEST_CASE("linear shrink counts for NAS-Bench-201", "[schedule]") {
  isdarts::LinearShrink schedule;  // r = 0.25, interval 2
  REQUIRE(schedule.num_steps() == 4);
  std::vector<int64_t> counts;
  for (int64_t step = 0; step <= 4; ++step) {
    counts.push_back(step == 0 ? 5 : schedule.kept(step, 5, 1));
  }
  CHECK(counts == std::vector<int64_t>{5, 4, 3, 2, 1});

  std::vector<int64_t> epochs;
  for (int64_t step = 1; step <= 4; ++step) {
    epochs.push_back(schedule.step_epoch(step, 30));
  }
  CHECK(epochs == std::vector<int64_t>{22, 24, 26, 28});
}

TEST_CASE("linear shrink counts for 40 candidates", "[schedule]") {
  isdarts::LinearShrink schedule(
      isdarts::LinearShrinkOptions().shrink_rate(1.0 / 7.0).interval(3));
  REQUIRE(schedule.num_steps() == 7);
  int64_t previous = 40;
  for (int64_t step = 1; step <= 7; ++step) {
    auto kept = schedule.kept(step, 40, 2);
    CHECK(kept < previous);
    previous = kept;
  }
  CHECK(previous == 2);
  CHECK(schedule.step_epoch(1, 50) == 29);
  CHECK(schedule.step_epoch(7, 50) == 47);
}

TEST_CASE("linear shrink rejects invalid settings", "[schedule]") {
  using isdarts::LinearShrink;
  using isdarts::LinearShrinkOptions;
  CHECK_THROWS_AS(LinearShrink(LinearShrinkOptions().shrink_rate(0.0)),
                  isdarts::InvalidArgument);
  CHECK_THROWS_AS(LinearShrink(LinearShrinkOptions().shrink_rate(1.5)),
                  isdarts::InvalidArgument);
  CHECK_THROWS_AS(LinearShrink(LinearShrinkOptions().interval(0)),
                  isdarts::InvalidArgument);
  // 1/r steps would overflow the step count.
  CHECK_THROWS_AS(LinearShrink(LinearShrinkOptions().shrink_rate(1e-30)),
                  isdarts::InvalidArgument);
  LinearShrink schedule;  // 4 steps every 2 epochs need 9 epochs
  CHECK_NOTHROW(schedule.validate(9, 5, 1));
  CHECK_THROWS_WITH(schedule.validate(8, 5, 1),
                    ISDARTS_CONTAINS("at least 9"));
  CHECK_THROWS_AS(schedule.validate(30, 5, 6), isdarts::InvalidArgument);
}

TEST_CASE("per-edge and per-node subsets", "[subsets]") {
  NB201Space space;
  auto per_edge = isdarts::PerEdgeSubsets().subsets(space.edges(), 5);
  REQUIRE(per_edge.size() == 6);
  for (const auto& subset : per_edge) {
    CHECK(subset.members.size() == 5);
    CHECK(subset.survivors == 1);
  }
  auto per_node = isdarts::PerNodeSubsets().subsets(space.edges(), 5);
  REQUIRE(per_node.size() == 3);
  CHECK(per_node[0].members.size() == 5);
  CHECK(per_node[1].members.size() == 10);
  CHECK(per_node[2].members.size() == 15);
  CHECK(per_node[2].survivors == 2);
}

TEST_CASE("masked supernet equals weighted sum", "[nb201][supernet]") {
  torch::manual_seed(1);
  auto net = NB201Space(NB201Space::Options().channels(4).cells(1))
                 .make_supernet();
  net->eval();
  Mask mask(6, 5);
  mask.discard(0, 3);  // edge 1<-0 loses nor_conv_3x3
  mask.discard(0, 0);  // and none
  mask.discard(2, 1);  // edge 2<-1 loses skip_connect
  net->set_mask(mask);
  auto cell = net->cell(0);
  auto x = torch::randn({2, 4, 8, 8});

  // Node by node, from every candidate computed separately.
  torch::NoGradGuard no_grad;
  auto relu_x = torch::relu(x);
  auto edge_output = [&](int64_t e, const torch::Tensor& input) {
    auto relu = torch::relu(input);
    torch::Tensor sum = torch::zeros_like(input);
    int64_t kept = 0;
    for (int64_t c = 0; c < 5; ++c) {
      if (!mask.kept(e, c)) continue;
      ++kept;
      sum = sum + cell->edge(e)->candidate(c, input, relu);
    }
    return sum / static_cast<double>(kept);
  };
  auto node1 = edge_output(0, x);
  auto node2 = edge_output(1, x) + edge_output(2, node1);
  auto node3 = edge_output(3, x) + edge_output(4, node1) +
               edge_output(5, node2);

  std::vector<std::vector<int64_t>> kept;
  for (int64_t e = 0; e < 6; ++e) kept.push_back(mask.kept_candidates(e));
  auto actual = cell->forward(x, kept, {}, nullptr);
  CHECK(torch::allclose(actual, node3, 1e-5, 1e-6));

  // With every candidate kept, edge 1<-0 averages all five terms.
  Mask full(6, 5);
  std::vector<std::vector<int64_t>> all;
  for (int64_t e = 0; e < 6; ++e) all.push_back(full.kept_candidates(e));
  auto edge = cell->edge(0);
  auto expected = (x + edge->candidate(2, x, relu_x) +
                   edge->candidate(3, x, relu_x) +
                   edge->candidate(4, x, relu_x)) / 5.0;
  CHECK(torch::allclose(edge->forward(x, all[0], {}, 0, nullptr), expected,
                        1e-5, 1e-6));
}

TEST_CASE("discarded candidates are not computed", "[nb201][supernet]") {
  torch::manual_seed(2);
  NB201Space space(NB201Space::Options().channels(4).cells(1));
  auto net = space.make_supernet();
  auto genotype = NB201Space::parse_genotype(kPublished);
  net->set_mask(space.mask_of(genotype));
  std::vector<std::pair<int64_t, int64_t>> seen;
  net->set_probe([&](int64_t edge, int64_t candidate, const torch::Tensor&) {
    seen.emplace_back(edge, candidate);
  });
  net->forward(torch::randn({2, 3, 32, 32}), {});
  // Three cells, six edges, one kept candidate each.
  REQUIRE(seen.size() == 18);
  for (const auto& [edge, candidate] : seen) {
    CHECK(isdarts::nb201_operations()[static_cast<std::size_t>(candidate)] ==
          genotype.operations[static_cast<std::size_t>(edge)]);
  }
  CHECK(space.derive(space.mask_of(genotype)) == genotype);
}

TEST_CASE("supernet output shapes", "[nb201][supernet]") {
  auto net = NB201Space(NB201Space::Options().channels(8).cells(2))
                 .make_supernet();
  auto logits = net->forward(torch::randn({3, 3, 32, 32}), {});
  CHECK(logits.sizes() == torch::IntArrayRef({3, 10}));
  CHECK(net->num_cells() == 6);
}

TEST_CASE("average pooling excludes padding", "[nn]") {
  auto x = torch::randn({2, 3, 9, 9});
  for (int64_t stride : {1, 2}) {
    isdarts::nn::AvgPool3x3 pool(3, stride);
    auto expected = torch::avg_pool2d(x, 3, stride, 1, false, false);
    CHECK(torch::allclose(pool(x), expected, 1e-5, 1e-6));
  }
}
