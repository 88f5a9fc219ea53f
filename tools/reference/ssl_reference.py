#!/usr/bin/python3
"""PyTorch reference runs of SelfSup's small-preset recipes on Fashion-MNIST (see README.md in this folder).

    /usr/bin/python3 tools/reference/ssl_reference.py --method NAME [--epochs 3] [--train-limit N] [--width 16]
    /usr/bin/python3 tools/reference/ssl_reference.py --random-init [--bn-stats init|data] [--width 16]
    /usr/bin/python3 tools/reference/ssl_reference.py --raw-pixels

Prints one JSON line {"method", "epochs", "knn_top1", "knn_top5", "seconds", "engine"} on stdout; progress on stderr.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import data  # noqa: E402
import knn  # noqa: E402
import optim  # noqa: E402
from methods_contrastive import DenseCl, InstDisc, MoCo, SimClr  # noqa: E402
from methods_siamese import BarlowTwins, Byol, MoCoV3  # noqa: E402
from nets import ResNet18  # noqa: E402

METHODS = {
    "instdisc": InstDisc, "mocov1": lambda c: MoCo(c, v2=False), "mocov2": lambda c: MoCo(c, v2=True),
    "simclr": SimClr, "byol": Byol, "barlowtwins": BarlowTwins, "mocov3": MoCoV3, "densecl": DenseCl,
}


class Context:
    def __init__(self, width, n_train, seed):
        self.width, self.n_train = width, n_train
        self.gen = torch.Generator().manual_seed(seed + 1)      # queues, bank, noise draws, shuffles


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def train(args, train_split):
    images = train_split[0][:args.train_limit] if args.train_limit > 0 else train_split[0]
    method = METHODS[args.method](Context(args.width, images.shape[0], args.seed))
    recipe = method.hp["optimizer"]
    lr = args.lr if args.lr is not None else optim.lr_for(recipe, args.batch_size)
    steps_per_epoch = images.shape[0] // args.batch_size
    total = args.epochs * steps_per_epoch
    optimizer = optim.build_optimizer(recipe, method.params(), lr)
    schedule = optim.build_schedule(recipe, lr, args.epochs, steps_per_epoch)
    views = data.views_for(args.method)
    log(f"{args.method}: {images.shape[0]} images, width {args.width}, batch {args.batch_size}, lr {lr:.4g}, "
        f"{args.epochs} epochs of {steps_per_epoch} steps; {json.dumps({k: v for k, v in method.hp.items()})}")
    method.train()
    loss = float("nan")
    for epoch in range(args.epochs):
        started, loss_sum, steps = time.time(), 0.0, 0
        for batch_views, indices in data.epoch_batches(images, views, args.batch_size, args.seed, epoch, args.workers):
            step = epoch * steps_per_epoch + steps
            step_lr = schedule(step)
            for g in optimizer.param_groups:
                g["lr"] = step_lr
            value = method.loss(batch_views, indices)
            optimizer.zero_grad(set_to_none=True)
            value.backward()
            optimizer.step()
            method.after_step(step, total)
            v = float(value)
            if v != v or v in (float("inf"), float("-inf")):
                raise RuntimeError(f"loss became {v} at epoch {epoch + 1}, step {steps + 1}")
            loss_sum += v
            steps += 1
            if steps % 10 == 0 or steps == steps_per_epoch:
                rate = steps * args.batch_size / (time.time() - started)
                log(f"epoch {epoch + 1}/{args.epochs} step {steps}/{steps_per_epoch} loss {loss_sum / steps:.4f} "
                    f"lr {step_lr:.3g} {rate:.0f} img/s")
        loss = loss_sum / max(steps, 1)
        log(f"epoch {epoch + 1}: loss {loss:.4f} ({time.time() - started:.0f} s)")
    return method.backbone, loss


@torch.no_grad()
def estimate_bn_stats(backbone, images, batch_size=256):
    """Running statistics as the cumulative average over the eval-view training images (train-mode forwards)."""
    for m in backbone.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None
    backbone.train()
    for i in range(0, images.shape[0], batch_size):
        backbone(data.normalize_batch(images[i:i + batch_size]))
    backbone.eval()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--method", choices=sorted(METHODS))
    mode.add_argument("--random-init", action="store_true", help="kNN of the untrained ResNet-18")
    mode.add_argument("--raw-pixels", action="store_true", help="kNN on normalised, L2-normalised pixels")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--train-limit", type=int, default=0, help="train on the first N images (kNN bank: all 60000)")
    p.add_argument("--lr", type=float, default=None, help="override the recipe's lr for the batch")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workers", type=int, default=1, help="augmentation processes (0 = in the training process)")
    p.add_argument("--bn-stats", choices=("init", "data"), default="init",
                   help="--random-init: BN running stats as initialised (mean 0, var 1) or estimated on the training images")
    p.add_argument("--knn-k", type=int, default=200)
    p.add_argument("--knn-temperature", type=float, default=0.1)
    p.add_argument("--knn-train-limit", type=int, default=0, help="kNN bank: the first N training images (0 = all)")
    p.add_argument("--knn-test-limit", type=int, default=0, help="kNN: the first N test images (0 = all; smoke tests)")
    p.add_argument("--data", default=data.FASHION_MNIST)
    p.add_argument("--validation", action="store_true",
                   help="selfsup's fashion-mnist-val: train and bank on the first 50000 training images, query the last 10000")
    args = p.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 2 or args.width < 1 or args.threads < 1 or args.workers < 0:
        p.error("--epochs, --width and --threads must be positive, --batch-size at least 2, --workers at least 0")

    started = time.time()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train_split, test_split = data.load_split("train", args.data), data.load_split("t10k", args.data)
    if args.validation:
        train_split, test_split = tuple(t[:50000] for t in train_split), tuple(t[50000:] for t in train_split)
    bank = tuple(t[:args.knn_train_limit] for t in train_split) if args.knn_train_limit > 0 else train_split
    queries = tuple(t[:args.knn_test_limit] for t in test_split) if args.knn_test_limit > 0 else test_split
    out = dict(epochs=0, loss=None)
    if args.raw_pixels:
        name = "raw-pixels"
        top1, top5 = knn.raw_pixels(bank, queries, args.knn_k, args.knn_temperature)
    elif args.random_init:
        name = "random-init" if args.bn_stats == "init" else "random-init-bn-data"
        backbone = ResNet18(args.width)
        if args.bn_stats == "data":
            estimate_bn_stats(backbone, train_split[0])
        top1, top5 = knn.evaluate(backbone, bank, queries, args.knn_k, args.knn_temperature)
    else:
        name = args.method
        if args.train_limit and args.train_limit < args.batch_size:
            p.error(f"--train-limit {args.train_limit} is less than one batch of {args.batch_size}")
        backbone, loss = train(args, train_split)
        log("kNN: extracting features")
        top1, top5 = knn.evaluate(backbone, bank, queries, args.knn_k, args.knn_temperature)
        out = dict(epochs=args.epochs, loss=round(loss, 4))
    result = dict(method=name, **out, knn_top1=round(top1, 4), knn_top5=round(top5, 4),
                  seconds=round(time.time() - started, 1), engine=f"torch-{torch.__version__}",
                  width=args.width, train_limit=args.train_limit)
    if args.knn_train_limit or args.knn_test_limit:
        result.update(knn_train_limit=args.knn_train_limit, knn_test_limit=args.knn_test_limit)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
