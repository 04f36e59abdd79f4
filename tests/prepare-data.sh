#!/usr/bin/env bash
# Test set-up: writes real CIFAR-10 (binary layout) and the NAS-Bench-201
# accuracy table into DEST, from the data sets shared beside the checkout.
# Usage: tests/prepare-data.sh DEST
# ISDARTS_SHARED_DIR overrides where the shared data sets are looked for.
set -euo pipefail

dest=${1:?usage: prepare-data.sh DEST}
if [ -n "${ISDARTS_CIFAR10_DIR:-}" ] && [ -n "${ISDARTS_NB201_TABLE:-}" ]; then
  echo "prepare-data.sh: ISDARTS_CIFAR10_DIR and ISDARTS_NB201_TABLE are set;" \
    "nothing to prepare"
  exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)
shared=${ISDARTS_SHARED_DIR:-$here/../../shared}

if [ ! -x "$shared/datasets/prepare-cifar10" ]; then
  echo "prepare-data.sh: $shared/datasets/prepare-cifar10 not found;" \
    "set ISDARTS_SHARED_DIR to the folder that holds datasets/" >&2
  exit 1
fi

mkdir -p "$dest"
"$shared/datasets/prepare-cifar10" "$dest"
table="$shared/datasets/nas-bench-201/nb201-accuracy.csv"
if ! cmp -s "$table" "$dest/nb201-accuracy.csv"; then
  cp "$table" "$dest/nb201-accuracy.csv.tmp"
  mv "$dest/nb201-accuracy.csv.tmp" "$dest/nb201-accuracy.csv"
fi
echo "prepare-data.sh: CIFAR-10 in $dest/cifar-10-batches-bin," \
  "table in $dest/nb201-accuracy.csv"
