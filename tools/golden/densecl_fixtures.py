"""PyTorch golden values for DenseCL (Wang et al. 2021, "Dense Contrastive Learning for Self-Supervised Visual
Pre-Training").

Writes tests/SelfSup.Methods.Tests/Fixtures/densecl.safetensors. The computation follows the official code
(WXinlong/DenseCL, openselfsup/models/densecl.py forward_train and necks.py DenseCLNeck), written out here on fixed
small inputs, without the backbone and without the batch shuffle (the neck is per-sample, so the shuffle cannot change
its output):

    neck(x) = [mlp(avgpool(x)), mlp2(x).flatten(2), avgpool(mlp2(x))]      mlp: Linear-ReLU-Linear, mlp2: 1x1 conv-ReLU-1x1 conv
    q, q_grid, q2 = neck(q_b);  k, k_grid, k2 = neck(k_b)                   then each L2-normalised over channels
    q_b, k_b = backbone maps flattened to (N, C, S) and L2-normalised over C
    match = argmax_j (q_b^T k_b)[n, i, j]                                   (N, S)
    l_pos = q.k, l_neg = q.queue;      loss_single = CE(cat / T, 0)
    l_pos_dense = q_grid . k_grid[match], l_neg_dense = q_grid.queue2;  loss_dense = CE(cat / T, 0) over N*S rows
    loss = (1 - lambda) * loss_single + lambda * loss_dense

Stored: the neck's weights (state-dict names "mlp.0.weight", ..., "mlp2.2.bias"), the backbone maps q_b, k_b, the two
queues as (K, D) (the transpose of the official (D, K) buffers), the neck outputs before normalisation, the enqueued keys
k and k2, the argmax, the two losses and the total, and the gradients of the total with respect to q_b (through the
neck) and with respect to the query projections q and q_grid before normalisation.

Run with Debian's Python: /usr/bin/python3 tools/golden/densecl_fixtures.py (deterministic, float32).
"""
import pathlib
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from fixture import Fixture, seeded  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "SelfSup.Methods.Tests" / "Fixtures"
N, C, H, W, HIDDEN, D, K, T, LAMBDA = 3, 8, 3, 3, 16, 6, 12, 0.2, 0.5


class Neck(nn.Module):
    """DenseCLNeck with num_grid=None (the official default)."""

    def __init__(self):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(C, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, D))
        self.mlp2 = nn.Sequential(nn.Conv2d(C, HIDDEN, 1), nn.ReLU(), nn.Conv2d(HIDDEN, D, 1))

    def forward(self, x):
        pooled = self.mlp(F.adaptive_avg_pool2d(x, 1).flatten(1))                # (N, D)
        grid = self.mlp2(x)                                                      # (N, D, H, W)
        return pooled, grid.flatten(2), F.adaptive_avg_pool2d(grid, 1).flatten(1)


def contrastive(pos, neg):
    """ContrastiveHead: cross-entropy of cat([pos, neg]) / T against index 0, mean over rows."""
    logits = torch.cat([pos, neg], dim=1) / T
    return F.cross_entropy(logits, torch.zeros(logits.shape[0], dtype=torch.long))


def losses(q, q_grid, k, k_grid, q_b, k_b, queue, queue2):
    """forward_train's logits and losses from the (unnormalised) neck outputs and backbone maps."""
    q, q_grid = F.normalize(q, dim=1), F.normalize(q_grid, dim=1)
    k, k_grid = F.normalize(k, dim=1), F.normalize(k_grid, dim=1)
    q_b = F.normalize(q_b.flatten(2), dim=1)
    k_b = F.normalize(k_b.flatten(2), dim=1)
    l_pos = torch.einsum("nc,nc->n", q, k).unsqueeze(-1)
    l_neg = torch.einsum("nc,ck->nk", q, queue)
    match = torch.matmul(q_b.permute(0, 2, 1), k_b).max(dim=2)[1]                # (N, S)
    indexed_k_grid = torch.gather(k_grid, 2, match.unsqueeze(1).expand(-1, k_grid.size(1), -1))
    l_pos_dense = (q_grid * indexed_k_grid).sum(1).view(-1).unsqueeze(-1)        # (N*S, 1)
    q_flat = q_grid.permute(0, 2, 1).reshape(-1, q_grid.size(1))
    l_neg_dense = torch.einsum("nc,ck->nk", q_flat, queue2)
    single, dense = contrastive(l_pos, l_neg), contrastive(l_pos_dense, l_neg_dense)
    return single, dense, (1 - LAMBDA) * single + LAMBDA * dense, match


def main():
    torch.set_num_threads(1)
    g = seeded("densecl")
    torch.manual_seed(20210401)
    neck = Neck()
    q_b = torch.randn(N, C, H, W, generator=g)
    shuffled = torch.stack([q_b[n].flatten(1)[:, torch.randperm(H * W, generator=g)] for n in range(N)])
    k_b = shuffled.view(N, C, H, W) + 0.6 * torch.randn(N, C, H, W, generator=g)    # the query's locations, moved + noise
    queue = F.normalize(torch.randn(D, K, generator=g), dim=0)
    queue2 = F.normalize(torch.randn(D, K, generator=g), dim=0)

    # gradient with respect to the backbone maps, through the neck
    q_b_leaf = q_b.clone().requires_grad_(True)
    q, q_grid, _ = neck(q_b_leaf)
    q.retain_grad()
    q_grid.retain_grad()
    with torch.no_grad():
        k, k_grid, k2 = neck(k_b)
    single, dense, total, match = losses(q, q_grid, k, k_grid, q_b_leaf, k_b, queue, queue2)
    total.backward()
    assert q_b_leaf.grad is not None and float(q_b_leaf.grad.abs().sum()) > 0

    fx = Fixture("densecl.safetensors", "DenseCL neck + loss on fixed inputs (official forward_train)")
    fx.add_state_dict(neck.state_dict(), "neck.", "DenseCLNeck weights (torch default init, torch.manual_seed(20210401))")
    fx.add("q_b", q_b, "(N, C, H, W) query backbone maps")
    fx.add("k_b", k_b, "(N, C, H, W) key backbone maps")
    fx.add("queue", queue.t().contiguous(), "(K, D) global negatives, unit rows")
    fx.add("queue2", queue2.t().contiguous(), "(K, D) dense negatives, unit rows")
    fx.add("q", q, "(N, D) neck global output for q_b, before normalisation")
    fx.add("q_grid", q_grid, "(N, D, S) neck dense output for q_b, before normalisation")
    fx.add("k", k, "(N, D) neck global output for k_b, before normalisation")
    fx.add("k_grid", k_grid, "(N, D, S) neck dense output for k_b, before normalisation")
    fx.add("k_enqueued", F.normalize(k, dim=1), "(N, D) keys the global queue receives")
    fx.add("k2_enqueued", F.normalize(k2, dim=1), "(N, D) keys the dense queue receives: normalise(mean_S k_grid)")
    fx.add("match", match, "(N, S) I64 argmax over key locations of backbone cosine similarity")
    fx.add("loss_single", single, "scalar")
    fx.add("loss_dense", dense, "scalar")
    fx.add("loss", total, "scalar (1 - lambda) * single + lambda * dense")
    fx.add("grad_q_b", q_b_leaf.grad, "d loss / d q_b (through the neck)")
    fx.add("grad_q", q.grad, "d loss / d q (neck output before normalisation)")
    fx.add("grad_q_grid", q_grid.grad, "d loss / d q_grid (neck output before normalisation)")
    fx.meta("temperature", T)
    fx.meta("lambda", LAMBDA)
    path = fx.write(OUT)

    back, _ = read_safetensors(path)
    for name, t in fx.tensors.items():
        assert (back[name] == t.numpy()).all() and back[name].shape == tuple(t.shape), name
    print(f"wrote {path} ({len(fx.tensors)} tensors); loss {float(total):.6f} "
          f"(single {float(single):.6f}, dense {float(dense):.6f}); match {match.tolist()}")


if __name__ == "__main__":
    main()
