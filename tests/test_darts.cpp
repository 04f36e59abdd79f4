// Tests of the DARTS search space, its genotype, the evaluation networks and
// the trainer.

#ifdef ISDARTS_CATCH2_V3
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "isdarts/isdarts.hpp"
#include "test_paths.hpp"

using isdarts::DartsGenotype;
using isdarts::DartsSpace;
using isdarts::Mask;

namespace {

const std::string kDartsV2 =
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), "
    "('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], "
    "normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
    "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), "
    "('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), "
    "('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

std::string error_of(const std::string& text) {
  try {
    DartsSpace::parse_genotype(text);
  } catch (const isdarts::InvalidArgument& e) {
    return e.what();
  }
  return "";
}

/// Replaces the first occurrence of `from` in the DARTS V2 string.
std::string v2_with(const std::string& from, const std::string& to) {
  auto text = kDartsV2;
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

/// Returns the pairs of each node, sorted, so that cells compare regardless
/// of the order within a node.
std::vector<DartsGenotype::Cell> by_node(const DartsGenotype::Cell& cell) {
  std::vector<DartsGenotype::Cell> nodes;
  for (std::size_t i = 0; i < cell.size(); i += 2) {
    DartsGenotype::Cell pair = {cell[i], cell[i + 1]};
    std::sort(pair.begin(), pair.end());
    nodes.push_back(pair);
  }
  return nodes;
}

std::vector<std::vector<int64_t>> all_kept() {
  Mask full(14, 8);
  std::vector<std::vector<int64_t>> kept;
  for (int64_t e = 0; e < 14; ++e) kept.push_back(full.kept_candidates(e));
  return kept;
}

/// Mean cross-entropy of `net` on `images` in training mode, without
/// gradients, so that batch norm uses the batch statistics.
double training_mode_loss(isdarts::DartsNetwork& net,
                          const isdarts::data::Cifar10& images) {
  torch::NoGradGuard no_grad;
  net->train();
  auto logits = net->forward(isdarts::data::normalize(images.images));
  return torch::nn::functional::cross_entropy(logits, images.labels)
      .item<double>();
}

}  // namespace

TEST_CASE("DARTS genotype round trip", "[darts][genotype]") {
  auto genotype = DartsSpace::parse_genotype(kDartsV2);
  REQUIRE(genotype.normal.size() == 8);
  REQUIRE(genotype.reduce.size() == 8);
  CHECK(genotype.normal[7] == std::make_pair(std::string("dil_conv_3x3"),
                                             int64_t{2}));
  CHECK(genotype.reduce[0] == std::make_pair(std::string("max_pool_3x3"),
                                             int64_t{0}));
  CHECK(genotype.normal_concat == std::vector<int64_t>{2, 3, 4, 5});
  CHECK(DartsSpace::format_genotype(genotype) == kDartsV2);
  CHECK(genotype == isdarts::darts_v2_genotype());

  SECTION("range concat as in DARTS' genotypes.py") {
    auto text = kDartsV2;
    for (int i = 0; i < 2; ++i) {
      auto at = text.find("[2, 3, 4, 5]");
      REQUIRE(at != std::string::npos);
      text.replace(at, 12, "range(2, 6)");
    }
    CHECK(DartsSpace::parse_genotype(text) == genotype);
  }
  SECTION("double quotes, spaces and field order") {
    auto text =
        "Genotype( reduce = [(\"max_pool_3x3\", 0), (\"max_pool_3x3\", 1), "
        "('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
        "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], "
        "normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', "
        "0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), "
        "('skip_connect', 0), ('dil_conv_3x3', 2)], reduce_concat=[2, 3, 4, "
        "5], normal_concat=range(2, 6) )";
    CHECK(DartsSpace::parse_genotype(text) == genotype);
  }
  SECTION("JSON form") {
    auto json = DartsSpace::genotype_json(genotype);
    REQUIRE(json["normal"].size() == 8);
    CHECK(json["normal"][0][0] == "sep_conv_3x3");
    CHECK(json["normal"][0][1] == 0);
    CHECK(json["reduce"][2][0] == "skip_connect");
    CHECK(json["reduce"][2][1] == 2);
    CHECK(json["reduce_concat"] == nlohmann::json({2, 3, 4, 5}));
  }
  SECTION("mask and derive") {
    DartsSpace space;
    auto mask = space.mask_of(genotype);
    CHECK(mask.total_kept() == 16);
    auto derived = space.derive(mask);
    CHECK(by_node(derived.normal) == by_node(genotype.normal));
    CHECK(by_node(derived.reduce) == by_node(genotype.reduce));
    CHECK(space.mask_of(derived) == mask);
  }
}

TEST_CASE("DARTS genotype rejects malformed text", "[darts][genotype]") {
  SECTION("unknown operation is quoted") {
    auto message = error_of(v2_with("'dil_conv_3x3'", "'conv_7x7'"));
    CHECK_THAT(message, ISDARTS_CONTAINS("unknown operation "
                                                  "'conv_7x7'"));
  }
  SECTION("input node after its node") {
    auto message = error_of(v2_with("('dil_conv_3x3', 2)",
                                    "('dil_conv_3x3', 5)"));
    CHECK_THAT(message, ISDARTS_CONTAINS("('dil_conv_3x3', 5)"));
    CHECK_THAT(message, ISDARTS_CONTAINS("node 5"));
  }
  SECTION("too few pairs") {
    auto message = error_of(v2_with(", ('dil_conv_3x3', 2)", ""));
    CHECK_THAT(message, ISDARTS_CONTAINS("'normal' has 7"));
  }
  SECTION("missing field") {
    auto message = error_of(v2_with(", reduce_concat=[2, 3, 4, 5]", ""));
    CHECK_THAT(message, ISDARTS_CONTAINS("expected ','"));
  }
  SECTION("repeated field") {
    auto message =
        error_of(v2_with("reduce_concat=[2, 3, 4, 5]", "normal_concat=[2]"));
    CHECK_THAT(message, ISDARTS_CONTAINS("'normal_concat' repeats"));
  }
  SECTION("unknown field") {
    auto message = error_of(v2_with("reduce_concat", "reduction_concat"));
    CHECK_THAT(message, ISDARTS_CONTAINS("'reduction_concat'"));
  }
  SECTION("text after the genotype") {
    auto message = error_of(kDartsV2 + " extra");
    CHECK_THAT(message, ISDARTS_CONTAINS("after the closing"));
  }
  SECTION("concat node out of range") {
    auto message =
        error_of(v2_with("normal_concat=[2, 3, 4, 5]", "normal_concat=[2, 6]"));
    CHECK_THAT(message, ISDARTS_CONTAINS("names node 6"));
    CHECK_THAT(error_of(v2_with("normal_concat=[2, 3, 4, 5]",
                                "normal_concat=range(2, 7)")),
               ISDARTS_CONTAINS("range(2, 7)"));
  }
  SECTION("missing quote") {
    auto message = error_of(v2_with("'dil_conv_3x3', 2", "dil_conv_3x3, 2"));
    CHECK_THAT(message, ISDARTS_CONTAINS("quoted operation"));
  }
  SECTION("empty and foreign text") {
    CHECK_FALSE(error_of("").empty());
    CHECK_FALSE(error_of("|nor_conv_3x3~0|+|nor_conv_3x3~0|").empty());
  }
}

TEST_CASE("DARTS derive needs two operations per node", "[darts][genotype]") {
  DartsSpace space;
  Mask mask(28, 8);
  CHECK_THROWS_AS(space.derive(mask), isdarts::Error);
  CHECK_THROWS_WITH(space.derive(mask),
                    ISDARTS_CONTAINS("node 2 keeps 16"));

  auto v2 = space.mask_of(isdarts::darts_v2_genotype());
  v2.discard(0, isdarts::kDartsSepConv3x3);  // normal 2<-0
  CHECK_THROWS_WITH(space.derive(v2),
                    ISDARTS_CONTAINS("node 2 keeps 1"));
  CHECK_THROWS_AS(space.derive(Mask(6, 5)), isdarts::InvalidArgument);
}

TEST_CASE("DARTS space edges and subsets", "[darts][subsets]") {
  DartsSpace space;
  const auto& edges = space.edges();
  REQUIRE(edges.size() == 28);
  REQUIRE(space.candidates().size() == 8);
  CHECK(space.candidates()[3] == "skip_connect");
  for (std::size_t e = 0; e < 28; ++e) {
    CHECK(edges[e].cell_kind == (e < 14 ? 0 : 1));
    CHECK(edges[e].from < edges[e].to);
  }
  CHECK(edges[13].from == 4);
  CHECK(edges[13].to == 5);

  auto subsets = isdarts::PerNodeSubsets().subsets(edges, 8);
  REQUIRE(subsets.size() == 8);
  std::map<std::string, std::size_t> sizes;
  for (const auto& subset : subsets) {
    sizes[subset.label] = subset.members.size();
    CHECK(subset.survivors == 2);
  }
  CHECK(sizes["node 2"] == 16);
  CHECK(sizes["node 5"] == 40);
  CHECK(sizes["reduce node 3"] == 24);
  CHECK(sizes["reduce node 5"] == 40);
}

TEST_CASE("shrink steps of a five-input node", "[darts][schedule]") {
  // Seven steps of linear shrinking with r = 1/7 on the DARTS mask, with
  // random importance; node 5 of each cell kind has 40 candidates.
  DartsSpace space;
  isdarts::LinearShrink schedule(
      isdarts::LinearShrinkOptions().shrink_rate(1.0 / 7.0).interval(3));
  REQUIRE(schedule.num_steps() == 7);
  auto subsets = isdarts::PerNodeSubsets().subsets(space.edges(), 8);
  Mask mask(28, 8);
  torch::manual_seed(3);

  auto kept_in = [&](const std::string& label) {
    for (const auto& subset : subsets) {
      if (subset.label != label) continue;
      int64_t count = 0;
      for (const auto& [edge, column] : subset.members) {
        count += mask.kept(edge, column) ? 1 : 0;
      }
      return count;
    }
    FAIL("no subset " << label);
    return int64_t{0};
  };

  std::vector<int64_t> counts = {kept_in("node 5")};
  for (int64_t step = 1; step <= 7; ++step) {
    auto importance = torch::rand({28, 8}, torch::kFloat64);
    isdarts::detail::discard_least_important(
        mask, importance, subsets, schedule, step, true, space.edges(),
        space.candidates());
    counts.push_back(kept_in("node 5"));
    CHECK(kept_in("reduce node 5") == counts.back());
  }
  std::string listed;
  for (auto count : counts) listed += std::to_string(count) + " ";
  INFO("kept per step: " << listed);
  REQUIRE(counts.size() == 8);
  CHECK(counts.front() == 40);
  for (std::size_t i = 1; i < counts.size(); ++i) {
    CHECK(counts[i] < counts[i - 1]);
  }
  CHECK(counts.back() == 2);
  CHECK(mask.total_kept() == 16);
  CHECK_NOTHROW(space.derive(mask));
}

TEST_CASE("DARTS search cell shapes", "[darts][supernet]") {
  // Five cells: reduction cells at 1 and 3, so cells 2 and 4 read a
  // previous-previous output of twice their resolution.
  torch::manual_seed(4);
  auto net = DartsSpace(DartsSpace::Options().channels(4).cells(5))
                 .make_supernet();
  REQUIRE(net->num_cells() == 5);
  auto kept = all_kept();
  auto images = torch::randn({2, 3, 32, 32});
  auto s0 = net->stem_bn(net->stem_conv(images));
  CHECK(s0.sizes() == torch::IntArrayRef({2, 12, 32, 32}));
  auto s1 = s0;

  const std::vector<std::vector<int64_t>> expected = {
      {2, 16, 32, 32}, {2, 32, 16, 16}, {2, 32, 16, 16},
      {2, 64, 8, 8},   {2, 64, 8, 8}};
  for (int64_t i = 0; i < 5; ++i) {
    auto cell = net->cell(i);
    CHECK(cell->reduction() == (i == 1 || i == 3));
    auto out = cell->forward(s0, s1, kept, {}, 0, nullptr);
    CHECK(out.sizes() ==
          torch::IntArrayRef(expected[static_cast<std::size_t>(i)]));
    s0 = s1;
    s1 = out;
  }
  CHECK(net->forward(images, {}).sizes() == torch::IntArrayRef({2, 10}));
}

TEST_CASE("DARTS probe sees kept candidates only", "[darts][supernet]") {
  torch::manual_seed(5);
  DartsSpace space(DartsSpace::Options().channels(2).cells(3));
  auto net = space.make_supernet();
  net->eval();
  torch::NoGradGuard no_grad;
  auto images = torch::randn({2, 3, 16, 16});

  SECTION("all candidates, none as zeros of the output shape") {
    std::map<std::pair<int64_t, int64_t>, std::vector<int64_t>> shapes;
    int64_t calls = 0;
    net->set_probe([&](int64_t edge, int64_t column,
                       const torch::Tensor& out) {
      ++calls;
      if (column == isdarts::kDartsNone) {
        CHECK(out.abs().sum().item<double>() == 0.0);
      }
      auto sizes = out.sizes().vec();
      auto& seen = shapes[{edge, column}];
      if (seen.empty()) seen = sizes;
    });
    net->forward(images, {});
    // One normal cell (0) and two reduction cells, 14 edges of 8 each.
    CHECK(calls == 3 * 14 * 8);
    // Normal edge 2<-0 keeps 16x16. The first reduction cell (cell 1)
    // reads 16x16 and outputs 8x8 on all of its edges.
    CHECK(shapes[{0, 0}] == std::vector<int64_t>{2, 2, 16, 16});
    CHECK(shapes[{14, 0}] == std::vector<int64_t>{2, 4, 8, 8});
    CHECK(shapes[{14, 4}] == shapes[{14, 0}]);
    CHECK(shapes[{16, 0}] == std::vector<int64_t>{2, 4, 8, 8});  // 3<-0
    CHECK(shapes[{18, 0}] == std::vector<int64_t>{2, 4, 8, 8});  // 3<-2
  }
  SECTION("genotype mask computes two operations per node") {
    auto genotype = isdarts::darts_v2_genotype();
    net->set_mask(space.mask_of(genotype));
    std::vector<std::pair<int64_t, int64_t>> seen;
    net->set_probe([&](int64_t edge, int64_t column, const torch::Tensor&) {
      seen.emplace_back(edge, column);
    });
    auto logits = net->forward(images, {});
    CHECK(logits.sizes() == torch::IntArrayRef({2, 10}));
    CHECK(seen.size() == 3 * 8);
    for (const auto& [edge, column] : seen) {
      CHECK(net->mask().kept(edge, column));
    }
  }
  net->set_probe(nullptr);
}

TEST_CASE("DARTS edge mixes kept candidates", "[darts][supernet]") {
  torch::manual_seed(6);
  auto net = DartsSpace(DartsSpace::Options().channels(4).cells(3))
                 .make_supernet();
  net->eval();
  torch::NoGradGuard no_grad;
  for (int64_t cell_index : {0, 1}) {
    // Edge 2<-0: stride 1 with C = 4 in the normal cell, stride 2 with
    // C = 8 in the reduction cell.
    auto x = torch::randn({2, 4 * (cell_index + 1), 8, 8});
    auto edge = net->cell(cell_index)->edge(0);
    std::vector<int64_t> kept = {0, 1, 2, 3, 4, 5, 6, 7};
    auto mean = edge->forward(x, kept, {}, 0, nullptr);
    auto weights = torch::rand({8});
    auto weighted = edge->forward(x, kept, weights, 0, nullptr);
    auto sum = torch::zeros_like(mean);
    auto weighted_sum = torch::zeros_like(mean);
    for (int64_t c = 1; c < 8; ++c) {
      auto out = edge->candidate(c, x);
      sum = sum + out;
      weighted_sum = weighted_sum + weights[c] * out;
    }
    CHECK(torch::allclose(mean, sum / 8.0, 1e-5, 1e-6));
    CHECK(torch::allclose(weighted, weighted_sum, 1e-5, 1e-6));

    std::vector<int64_t> only_none = {0};
    CHECK_FALSE(edge->forward(x, only_none, {}, 0, nullptr).defined());
  }
}

TEST_CASE("DARTS importance is finite after training", "[darts][iim]") {
  torch::manual_seed(7);
  DartsSpace space(DartsSpace::Options().channels(2).cells(3));
  auto net = space.make_supernet();
  torch::optim::SGD optimizer(net->parameters(),
                              torch::optim::SGDOptions(0.025).momentum(0.9));
  auto images = torch::randn({16, 3, 16, 16});
  auto labels = torch::randint(0, 10, {16}, torch::kInt64);
  net->train();
  for (int step = 0; step < 3; ++step) {
    isdarts::detail::clear_gradients(optimizer);
    torch::nn::functional::cross_entropy(net->forward(images, {}), labels)
        .backward();
    optimizer.step();
  }

  isdarts::MeasureContext context(net->mask(), 1, 0, [&](const auto& visit) {
    isdarts::detail::probe_outputs(net, images, 8, torch::Tensor(), visit);
  });
  auto importance = isdarts::IIMMetric().importance(context);
  REQUIRE(importance.sizes() == torch::IntArrayRef({28, 8}));
  CHECK(torch::isfinite(importance).all().item<bool>());
  for (int64_t e = 0; e < 28; ++e) {
    CHECK(importance[e][0].item<double>() == 0.0);
    for (int64_t c = 1; c < 8; ++c) {
      CHECK(importance[e][c].item<double>() > 0.0);
    }
  }
}

TEST_CASE("DARTS evaluation network shapes", "[darts][train]") {
  torch::manual_seed(8);
  isdarts::DartsNetwork net(isdarts::darts_v2_genotype(),
                            isdarts::DartsNetworkOptions().channels(4).cells(
                                5));
  auto images = torch::randn({2, 3, 32, 32});
  net->train();
  net->set_drop_path_probability(0.2);
  auto output = net->forward_training(images);
  CHECK(output.logits.sizes() == torch::IntArrayRef({2, 10}));
  REQUIRE(output.auxiliary_logits.defined());
  CHECK(output.auxiliary_logits.sizes() == torch::IntArrayRef({2, 10}));

  net->eval();
  auto evaluation = net->forward_training(images);
  CHECK_FALSE(evaluation.auxiliary_logits.defined());
  CHECK(net->forward(images).sizes() == torch::IntArrayRef({2, 10}));
  CHECK_THROWS_AS(net->set_drop_path_probability(1.0),
                  isdarts::InvalidArgument);

  // The auxiliary head is left out of the parameter count.
  int64_t all = 0;
  for (const auto& p : net->parameters()) all += p.numel();
  CHECK(isdarts::count_parameters(*net) < all);
}

TEST_CASE("NAS-Bench-201 evaluation network shapes", "[nb201][train]") {
  auto genotype = isdarts::NB201Space::parse_genotype(
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
      "nor_conv_3x3~1|nor_conv_3x3~2|");
  auto net = isdarts::make_nb201_network(
      genotype, isdarts::nb201_network_options().channels(4).cells(1));
  CHECK(net->mask().total_kept() == 6);
  CHECK(net->options().affine());
  CHECK(net->options().track_running_stats());
  net->train();
  auto logits = net->forward(torch::randn({2, 3, 32, 32}), {});
  CHECK(logits.sizes() == torch::IntArrayRef({2, 10}));
  // Running statistics make evaluation independent of the batch.
  net->eval();
  auto one = net->forward(torch::ones({1, 3, 32, 32}), {});
  auto two = net->forward(torch::cat({torch::ones({1, 3, 32, 32}),
                                      torch::zeros({1, 3, 32, 32})}),
                          {});
  CHECK(torch::allclose(one[0], two[0], 1e-5, 1e-6));
}

TEST_CASE("NAS-Bench-201 parameter count", "[nb201][train]") {
  auto options = isdarts::nb201_network_options().channels(4).cells(1);
  auto skip = isdarts::make_nb201_network(
      isdarts::NB201Space::parse_genotype(
          "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|"
          "skip_connect~1|skip_connect~2|"),
      options);
  auto conv = isdarts::make_nb201_network(
      isdarts::NB201Space::parse_genotype(
          "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|"
          "nor_conv_3x3~1|nor_conv_3x3~2|"),
      options);
  // Stages of 4, 8 and 16 channels with one cell each: every 3x3 candidate
  // of c channels has 9 c^2 weights and 2 c batch-norm parameters.
  int64_t expected = 0;
  for (int64_t c : {4, 8, 16}) expected += 6 * (9 * c * c + 2 * c);
  CHECK(isdarts::count_nb201_parameters(conv) -
            isdarts::count_nb201_parameters(skip) ==
        expected);
  // The supernet contains every candidate's weights; the count leaves out the
  // discarded ones.
  int64_t all = 0;
  for (const auto& p : conv->parameters()) all += p.numel();
  CHECK(isdarts::count_nb201_parameters(conv) < all);
}

TEST_CASE("trainer presets are published values", "[train]") {
  auto darts = isdarts::TrainerOptions::darts();
  CHECK(darts.epochs() == 600);
  CHECK(darts.batch_size() == 96);
  CHECK(darts.learning_rate() == 0.025);
  CHECK(darts.weight_decay() == 3e-4);
  CHECK(darts.auxiliary_weight() == 0.4);
  CHECK(darts.drop_path() == 0.2);
  CHECK(darts.cutout() == 16);
  CHECK_FALSE(darts.nesterov());

  auto nb201 = isdarts::TrainerOptions::nb201();
  CHECK(nb201.epochs() == 200);
  CHECK(nb201.batch_size() == 256);
  CHECK(nb201.learning_rate() == 0.1);
  CHECK(nb201.weight_decay() == 5e-4);
  CHECK(nb201.nesterov());
  CHECK(nb201.grad_clip() == 0.0);
  CHECK(nb201.auxiliary_weight() == 0.0);
  CHECK(nb201.drop_path() == 0.0);
  CHECK(nb201.cutout() == 0);
}

TEST_CASE("DARTS V2 parameter count", "[darts][train]") {
  isdarts::DartsNetwork net(isdarts::darts_v2_genotype());
  auto count = isdarts::count_parameters(*net);
  std::cout << "DARTS V2, 20 cells, C = 36: " << count
            << " parameters without the auxiliary head\n";
  CHECK(std::round(static_cast<double>(count) / 1e5) / 10.0 ==
        Approx(3.3));
}

TEST_CASE("DARTS search on real images", "[data][darts][search]") {
  auto train = isdarts::data::load_cifar10(test_cifar10_dir(),
                                           isdarts::data::Split::kTrain, 320);
  auto options = isdarts::SearchOptions()
                     .epochs(8)
                     .batch_size(32)
                     .importance_images(32)
                     .verbose(false);
  isdarts::Searcher<DartsSpace, isdarts::IIMMetric, isdarts::LinearShrink>
      searcher(options, DartsSpace(DartsSpace::Options().channels(2).cells(3)),
               isdarts::IIMMetric(),
               isdarts::LinearShrink(isdarts::LinearShrinkOptions()
                                         .shrink_rate(1.0 / 7.0)
                                         .interval(1)));
  auto result = searcher.run(train);

  REQUIRE(result.shrink_steps.size() == 7);
  CHECK(result.shrink_steps.back().kept_after == 16);
  CHECK(result.mask.total_kept() == 16);
  CHECK(result.genotype.normal.size() == 8);
  CHECK(result.genotype.reduce.size() == 8);
  DartsSpace space;
  CHECK(space.mask_of(result.genotype) == result.mask);
  auto text = DartsSpace::format_genotype(result.genotype);
  CHECK(DartsSpace::parse_genotype(text) == result.genotype);
  // IIM of `none` is 0, so the first step discards it everywhere.
  int64_t none_discarded = 0;
  for (const auto& d : result.shrink_steps[0].discarded) {
    none_discarded += d.operation == "none" ? 1 : 0;
  }
  CHECK(none_discarded == 28);
}

TEST_CASE("evaluation network training lowers the loss",
          "[data][darts][train]") {
  auto dir = test_cifar10_dir();
  auto train =
      isdarts::data::load_cifar10(dir, isdarts::data::Split::kTrain, 512);
  auto test = isdarts::data::load_cifar10(dir, isdarts::data::Split::kTest,
                                          128);
  torch::manual_seed(9);
  isdarts::DartsNetwork net(isdarts::darts_v2_genotype(),
                            isdarts::DartsNetworkOptions().channels(4).cells(
                                3));
  auto probe_images = train.subset(0, 256);
  auto before = training_mode_loss(net, probe_images);

  isdarts::Trainer<isdarts::DartsNetwork> trainer(
      net, isdarts::TrainerOptions()
               .epochs(1)
               .batch_size(32)
               .learning_rate(0.05)
               .drop_path(0.0)
               .cutout(0)
               .verbose(false));
  auto result = trainer.run(train, test);
  auto after = training_mode_loss(net, probe_images);

  REQUIRE(result.epochs.size() == 1);
  CHECK(std::isfinite(result.epochs[0].loss));
  CHECK(result.test.images == 128);
  CHECK(result.test.accuracy >= 0.0);
  CHECK(result.test.accuracy <= 1.0);
  INFO("loss before " << before << ", after " << after);
  CHECK(after < before);
}
