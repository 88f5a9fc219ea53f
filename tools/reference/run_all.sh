#!/usr/bin/env bash
# Accuracy reference runs: for each method, SelfSup's `train` then the PyTorch reference of the same recipe, one after
# the other (never in parallel), each appending one JSON line to the results file; then the two baselines (raw pixels,
# random-init network). Turn the file into the README table with tools/reference/table.py.
#
#   tools/reference/run_all.sh [-o RESULTS] [-e EPOCHS] [-w WIDTH] [-l TRAIN_LIMIT] [METHOD ...]
#
# Defaults: results tools/reference/results.jsonl, 3 epochs, width 16, all 60 000 training images,
# methods instdisc mocov1 mocov2 simclr byol barlowtwins mocov3 densecl. Set SKIP_OURS=1 or SKIP_TORCH=1 to run one side.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
results="$root/tools/reference/results.jsonl"
epochs=3; width=16; limit=0
while getopts "o:e:w:l:" opt; do
  case "$opt" in
    o) results="$OPTARG" ;;
    e) epochs="$OPTARG" ;;
    w) width="$OPTARG" ;;
    l) limit="$OPTARG" ;;
    *) sed -n 2,10p "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
methods=("$@")
[ ${#methods[@]} -gt 0 ] || methods=(instdisc mocov1 mocov2 simclr byol barlowtwins mocov3 densecl)
py=/usr/bin/python3
ref="$root/tools/reference/ssl_reference.py"
logs="$(dirname "$results")/logs"
mkdir -p "$logs"

# One JSON line per run, tagged with the implementation and the protocol.
append() {  # impl json
  "$py" -c 'import json,sys; r=json.loads(sys.argv[2]); r["impl"]=sys.argv[1]; r.update(json.loads(sys.argv[3])); print(json.dumps(r))' \
    "$1" "$2" "{\"width\": $width, \"train_limit\": $limit, \"epochs_asked\": $epochs}" >>"$results"
}

for m in "${methods[@]}"; do
  if [ "${SKIP_OURS:-0}" != 1 ]; then
    echo "== selfsup $m" >&2
    rm -rf "$logs/selfsup-$m"                     # this script's scratch run folder (train refuses to overwrite a run)
    out="$("$root/selfsup" train --method "$m" --data fashion-mnist --preset small --width "$width" --epochs "$epochs" --batch-size 256 \
      --seed 0 --knn-every 0 --train-limit "$limit" --out "$logs/selfsup-$m" --json 2>"$logs/selfsup-$m.log" | tail -n 1)" \
      || { echo "selfsup $m failed; see $logs/selfsup-$m.log" >&2; out=""; }
    [ -n "$out" ] && append selfsup "$out"
  fi
  if [ "${SKIP_TORCH:-0}" != 1 ]; then
    echo "== torch $m" >&2
    out="$("$py" "$ref" --method "$m" --width "$width" --epochs "$epochs" --train-limit "$limit" --seed 0 \
      2>"$logs/torch-$m.log" | tail -n 1)" || { echo "torch $m failed; see $logs/torch-$m.log" >&2; out=""; }
    [ -n "$out" ] && append torch "$out"
  fi
done

if ! grep -q '"method": "raw-pixels"' "$results" 2>/dev/null; then
  echo "== raw pixels" >&2
  append torch "$("$py" "$ref" --raw-pixels 2>"$logs/raw-pixels.log" | tail -n 1)"
fi
if ! grep -q "\"method\": \"random-init\".*\"width\": $width," "$results" 2>/dev/null; then
  echo "== random init" >&2
  append torch "$("$py" "$ref" --random-init --width "$width" 2>"$logs/random-init.log" | tail -n 1)"
fi
echo "results in $results; table: $py $root/tools/reference/table.py $results" >&2
