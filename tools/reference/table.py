#!/usr/bin/python3
"""Turns the results file of run_all.sh (JSON lines) into the README's markdown table.

    /usr/bin/python3 tools/reference/table.py [RESULTS] [--width 16] [--epochs 3] [--seed 0]

Per method the latest SelfSup and PyTorch runs of that width and epoch count; kNN top-1 (top-5) in %, the difference
in points, the random-init and raw-pixel baselines, wall times (training + kNN) and whether the issue's two conditions
hold (|SelfSup - PyTorch| <= 1 point, SelfSup >= random-init + 5 points).
"""
import argparse
import json
import os
import sys

ORDER = ["instdisc", "mocov1", "mocov2", "simclr", "byol", "barlowtwins", "mocov3", "densecl"]


def pct(r, key="knn_top1"):
    return None if r is None or r.get(key) is None else 100 * r[key]


def fmt(v, digits=2):
    return "—" if v is None else f"{v:.{digits}f}"


def fmt_time(r):
    if r is None or r.get("seconds") is None:
        return "—"
    s = r["seconds"]
    return f"{s / 60:.1f} min" if s >= 60 else f"{s:.0f} s"


def cell(r):
    return "—" if r is None else f"{fmt(pct(r))} ({fmt(pct(r, 'knn_top5'))})"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", nargs="?", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.jsonl"))
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=0, help="runs of this seed only (lines without one are seed 0)")
    args = p.parse_args(argv)
    if not os.path.exists(args.results):
        sys.exit(f"table.py: no results file {args.results} (run tools/reference/run_all.sh first)")
    latest = {}
    with open(args.results) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"table.py: {args.results}:{n}: not JSON ({e})")
            baseline = r.get("method") in ("raw-pixels", "random-init", "random-init-bn-data")
            if r.get("width", args.width) != args.width and r.get("method") != "raw-pixels":
                continue
            if not baseline and (r.get("epochs") != args.epochs or r.get("seed", 0) != args.seed):
                continue
            latest[(r.get("impl", "torch"), r["method"])] = r                       # later lines win
    raw, rand = latest.get(("torch", "raw-pixels")), latest.get(("torch", "random-init"))
    methods = [m for m in ORDER if any((i, m) in latest for i in ("selfsup", "torch"))]
    methods += sorted({m for (_, m) in latest if m not in ORDER and not m.startswith(("raw-", "random-"))})
    print(f"| method | SelfSup kNN top-1 (top-5) % | PyTorch kNN top-1 (top-5) % | difference (points) | random-init % "
          f"| raw pixels % | SelfSup time | PyTorch time | within 1 point | ≥ random-init + 5 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for m in methods:
        ours, ref = latest.get(("selfsup", m)), latest.get(("torch", m))
        diff = pct(ours) - pct(ref) if pct(ours) is not None and pct(ref) is not None else None
        close = "—" if diff is None else ("yes" if abs(diff) <= 1 else "**no**")
        above = "—" if pct(ours) is None or pct(rand) is None else ("yes" if pct(ours) >= pct(rand) + 5 else "**no**")
        print(f"| {m} | {cell(ours)} | {cell(ref)} | {'—' if diff is None else f'{diff:+.2f}'} | {fmt(pct(rand))} "
              f"| {fmt(pct(raw))} | {fmt_time(ours)} | {fmt_time(ref)} | {close} | {above} |")
    extra = latest.get(("torch", "random-init-bn-data"))
    runs = [r for (i, m), r in latest.items() if m in methods]
    threads = sorted({r.get("threads", 2) for r in runs})                       # runs before the field existed: 2
    limits = sorted({r.get("train_limit", 0) for r in runs})
    trained_on = "all training images" if limits == [0] else \
        "the first " + " / ".join(f"{n:,}".replace(",", " ") for n in limits) + " training images"
    notes = [f"Fashion-MNIST, ResNet-18 width {args.width} (CIFAR stem), trained on {trained_on}, batch 256, "
             f"{args.epochs} epochs, seed {args.seed}, {' / '.join(map(str, threads))} thread(s) per run; kNN k 200, τ 0.1 on "
             "L2-normalised backbone features of all 60 000 training images."]
    if extra:
        notes.append(f"Random-init with BN running statistics estimated on the training images: {fmt(pct(extra))} %.")
    print("\n" + " ".join(notes))


if __name__ == "__main__":
    main()
