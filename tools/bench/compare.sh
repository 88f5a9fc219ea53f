#!/usr/bin/env bash
# Side-by-side speed and memory: each workload runs once under SelfSup and once under the PyTorch
# peer (shared/peer/torch_reference.py), each in its own process, alternating, on the same threads.
#   tools/bench/compare.sh [WORKLOAD ...]      (BENCH_THREADS, default 2)
# Prints one line per workload: selfsup value, peer value, ratio, and both peak RSS figures.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
peer="${PEER:-$root/../shared/peer/torch_reference.py}"
[ -f "$peer" ] || { echo "compare: peer script not found at $peer (set PEER=...)" >&2; exit 1; }
"$root/scripts/setup.sh" --peer
export BENCH_THREADS="${BENCH_THREADS:-2}"
workloads=("$@")
[ ${#workloads[@]} -eq 0 ] && mapfile -t workloads < <("$root/selfsup" bench --list | awk '{print $1}')
printf '%-22s %12s %12s %8s %14s %14s\n' workload selfsup torch ratio selfsup_rss_mb torch_rss_mb
for w in "${workloads[@]}"; do
  ours=$("$root/selfsup" bench "$w" --json | tail -n 1)
  theirs_rss=$(mktemp)
  theirs=$(/usr/bin/time -f '%M' -o "$theirs_rss" /usr/bin/python3 "$peer" "$w" | tail -n 1)
  /usr/bin/python3 - "$ours" "$theirs" "$(tail -n 1 "$theirs_rss")" <<'PY'
import json, sys
o, t, rss = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3]) / 1024
print(f"{o['workload']:<22} {o['value']:>12.2f} {t['value']:>12.2f} {o['value'] / t['value']:>8.2f} {o['peak_rss_mb']:>14.1f} {rss:>14.1f}")
PY
  rm -f "$theirs_rss"
done
