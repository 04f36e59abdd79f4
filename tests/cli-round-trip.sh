#!/usr/bin/env bash
# Command-line round trip on real CIFAR-10: a tiny NAS-Bench-201 search
# writes its report, isdarts-train trains the found cell from that report
# and saves its weights, and --evaluate reloads them.
# Usage: tests/cli-round-trip.sh EXAMPLES_DIR WORK_DIR
# Data come from ISDARTS_CIFAR10_DIR and ISDARTS_NB201_TABLE, else from
# ISDARTS_TEST_DATA_DIR, where the test set-up writes both.
set -euo pipefail

examples=${1:?usage: cli-round-trip.sh EXAMPLES_DIR WORK_DIR}
work=${2:?usage: cli-round-trip.sh EXAMPLES_DIR WORK_DIR}
data=${ISDARTS_CIFAR10_DIR:-${ISDARTS_TEST_DATA_DIR:?set ISDARTS_TEST_DATA_DIR}}
table=${ISDARTS_NB201_TABLE:-$ISDARTS_TEST_DATA_DIR/nb201-accuracy.csv}
rm -rf "$work"
mkdir -p "$work"

"$examples/isdarts-search" --data "$data" --benchmark "$table" \
  --output "$work/search.json" --train-images 256 --iim-samples 32 \
  --epochs 5 --shrink-interval 1 --channels 2 --cells 1 --threads 1
grep -q '"genotype_string"' "$work/search.json"
grep -q '"cifar10"' "$work/search.json"

"$examples/isdarts-train" --report "$work/search.json" --data "$data" \
  --epochs 1 --train-images 128 --test-images 64 --channels 2 --cells 1 \
  --batch-size 32 --threads 1 --save "$work/network.pt" \
  --output "$work/train.json"
test -s "$work/network.pt"
grep -q '"test_accuracy"' "$work/train.json"

"$examples/isdarts-train" --report "$work/search.json" --data "$data" \
  --test-images 64 --channels 2 --cells 1 --threads 1 \
  --evaluate "$work/network.pt"
echo "cli-round-trip.sh: search, training and evaluation passed"
