"""PyTorch golden values for MoCo v3's contrastive loss.

Writes tests/SelfSup.Methods.Tests/Fixtures/mocov3_loss.safetensors. The loss is computed as facebookresearch/moco-v3
builder.py does (single process, so concat_all_gather is the identity and the labels are arange(N)):

    ctr(q, k) = CrossEntropy(normalize(q) . normalize(k)^T / T, arange(N)) * 2T
    loss = ctr(q1, k2) + ctr(q2, k1)

with k1, k2 constants (the official computes them under torch.no_grad()). Two temperatures: 1.0 (ResNet) and 0.2 (ViT).
Stored: the raw q1, q2, k1, k2, the loss for each T and its gradients with respect to the unnormalised q1, q2.

Run with Debian's Python: /usr/bin/python3 tools/golden/mocov3_fixtures.py (deterministic, float32).
"""
import pathlib
import sys

import torch
import torch.nn as nn

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from fixture import Fixture, seeded  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "SelfSup.Methods.Tests" / "Fixtures"


def contrastive_loss(q, k, T):
    """builder.py MoCo.contrastive_loss without the all-gather (one process)."""
    q = nn.functional.normalize(q, dim=1)
    k = nn.functional.normalize(k, dim=1)
    logits = torch.einsum("nc,mc->nm", [q, k]) / T
    N = logits.shape[0]
    labels = torch.arange(N, dtype=torch.long)
    return nn.CrossEntropyLoss()(logits, labels) * (2 * T)


def main():
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    fx = Fixture("mocov3_loss.safetensors", "MoCo v3 symmetric contrastive loss, value and gradients")
    g = seeded("mocov3")
    n, d = 6, 8
    q1, q2, k1, k2 = (torch.randn(n, d, generator=g) for _ in range(4))
    k2 = k2 + 0.8 * q1          # correlated positives, so the loss is not just log N
    k1 = k1 + 0.8 * q2
    for name, t in (("q1", q1), ("q2", q2), ("k1", k1), ("k2", k2)):
        fx.add(name, t, "(N, D) before L2-normalisation")
    temperatures = [1.0, 0.2]
    for T in temperatures:
        a, b = q1.clone().requires_grad_(True), q2.clone().requires_grad_(True)
        loss = contrastive_loss(a, k2, T) + contrastive_loss(b, k1, T)
        loss.backward()
        fx.add(f"t{T}.loss", loss, "ctr(q1, k2) + ctr(q2, k1)")
        fx.add(f"t{T}.grad_q1", a.grad, "d loss / d q1")
        fx.add(f"t{T}.grad_q2", b.grad, "d loss / d q2")
    fx.meta("temperatures", temperatures)
    fx.meta("loss", "ctr(q,k) = CE(normalize(q) normalize(k)^T / T, arange(N)) * 2T; loss = ctr(q1,k2) + ctr(q2,k1)")
    path = fx.write(OUT)
    print(f"wrote {path} ({len(fx.tensors)} tensors)")


if __name__ == "__main__":
    main()
