#!/usr/bin/env bash
# Installs the Debian packages that building, testing and running isdarts
# need. Runs apt-get as root, through sudo when not root already.
set -euo pipefail

packages=(
  build-essential cmake ccache
  libtorch-dev libfmt-dev nlohmann-json3-dev libcli11-dev catch2
  python3-pil python3-numpy   # for the CIFAR-10 preparation script
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
    grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps.sh: all packages are installed"
  exit 0
fi

as_root=()
if [ "$(id -u)" != 0 ]; then as_root=(sudo); fi
echo "install-deps.sh: installing ${missing[*]}"
"${as_root[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -q \
  --no-install-recommends "${missing[@]}"
