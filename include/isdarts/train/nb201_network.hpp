#pragma once

/// The NAS-Bench-201 evaluation network of a genotype: the supernet with one
/// candidate kept per edge and batch norm with affine parameters and running
/// statistics, which is the network the benchmark trains (C = 16, N = 5).

#include <cstdint>
#include <string>

#include "isdarts/spaces/nb201.hpp"

namespace isdarts {

/// Size of the benchmark's network: C = 16, N = 5, 10 classes, batch norm
/// with affine parameters and running statistics.
inline Nb201NetworkOptions nb201_network_options() {
  return Nb201NetworkOptions().affine(true).track_running_stats(true);
}

/// Returns the network of `genotype` with `options` as given; pass
/// `nb201_network_options()` with other channels or cells to change its
/// size. Raises InvalidArgument for an unknown operation.
inline Nb201Supernet make_nb201_network(
    const Nb201Genotype& genotype,
    Nb201NetworkOptions options = nb201_network_options()) {
  NB201Space space(options);
  Nb201Supernet network(options);
  network->set_mask(space.mask_of(genotype));
  return network;
}

/// Counts the parameters that the network's mask computes with. The supernet
/// contains the weights of every candidate, but discarded candidates never
/// take part in the output, so their weights are left out, as in the
/// benchmark's network, which contains only the kept operations.
inline int64_t count_nb201_parameters(const Nb201Supernet& network) {
  const auto& mask = network->mask();
  const auto& names = NB201Space().candidates();
  int64_t count = 0;
  for (const auto& item : network->named_parameters(/*recurse=*/true)) {
    // Candidate weights are named "cell<i>.edge<e>.<operation>.<...>".
    const auto& name = item.key();
    auto edge_at = name.find(".edge");
    if (edge_at != std::string::npos) {
      auto number_at = edge_at + 5;
      auto dot = name.find('.', number_at);
      auto edge = std::stoll(name.substr(number_at, dot - number_at));
      auto operation = name.substr(dot + 1, name.find('.', dot + 1) - dot - 1);
      bool kept = false;
      for (std::size_t c = 0; c < names.size(); ++c) {
        if (names[c] == operation) {
          kept = mask.kept(edge, static_cast<int64_t>(c));
        }
      }
      if (!kept) continue;
    }
    count += item.value().numel();
  }
  return count;
}

}  // namespace isdarts
