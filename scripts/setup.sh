#!/usr/bin/env bash
# Installs what SelfSup needs from Debian's packages, once (skips what is already there).
#   scripts/setup.sh          the product's needs (Fashion-MNIST data, libjpeg-turbo, Open MPI for several processes)
#   scripts/setup.sh --peer   also the PyTorch peer for benchmarks and golden fixtures
#   scripts/setup.sh --report-check   also chromium, for the test that opens report.html in a headless browser
set -euo pipefail
packages=(dataset-fashion-mnist libturbojpeg0 openmpi-bin libopenmpi-dev)
for flag in "$@"; do
  case "$flag" in
    --peer) packages+=(python3-torch python3-torchvision time) ;;
    --report-check) packages+=(chromium) ;;
    *) echo "setup: unknown option '$flag' (use --peer and/or --report-check)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }
