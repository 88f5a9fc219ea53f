#!/usr/bin/env bash
# Data parallelism's speed on this machine (issue 14): for the main job's network (ddp-small-fmnist-train) and ResNet-18
# CIFAR training (ddp-resnet18-cifar-train), one process with 2 threads against `mpirun -np 2` ranks of 1 thread, the same
# global batch, alternating the two for ROUNDS rounds (default 2); then the all-reduce bandwidth between two ranks.
# Prints each JSON line with its configuration, then the ratios of the medians. Keep the machine quiet meanwhile.
#   scripts/bench-ddp.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds="${1:-2}"
command -v mpirun >/dev/null || { echo "bench-ddp: mpirun is missing (scripts/setup.sh installs Open MPI)" >&2; exit 1; }
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi   # CI and containers run as root
./selfsup --help >/dev/null                                               # build once, before timing
mpi=(mpirun --oversubscribe -np 2 --mca btl self,vader,tcp)
log="$(mktemp)"
for workload in ddp-small-fmnist-train ddp-resnet18-cifar-train; do
  for round in $(seq 1 "$rounds"); do
    echo "1x2 $(./selfsup bench "$workload" --threads 2 --json)" | tee -a "$log"
    echo "2x1 $("${mpi[@]}" ./selfsup bench "$workload" --threads 1 --json 2>/dev/null | grep '^{\|{"workload' | sed 's/^[^{]*//')" | tee -a "$log"
  done
done
for round in $(seq 1 "$rounds"); do
  echo "2x1 $("${mpi[@]}" ./selfsup bench ddp-allreduce --threads 1 --json 2>/dev/null | grep '{"workload' | sed 's/^[^{]*//')" | tee -a "$log"
done
echo "--- medians (2 ranks × 1 thread ÷ 1 rank × 2 threads)"
for workload in ddp-small-fmnist-train ddp-resnet18-cifar-train; do
  median() { grep "^$1 " "$log" | grep "\"$workload\"" | sed 's/.*"value":\([0-9.]*\).*/\1/' | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
  one="$(median 1x2)"; two="$(median 2x1)"
  echo "$workload: 1x2 $one img/s, 2x1 $two img/s, ratio $(awk -v a="$two" -v b="$one" 'BEGIN {printf "%.2f", a/b}')"
done
rm -f "$log"
