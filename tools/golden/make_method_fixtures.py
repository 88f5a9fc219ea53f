"""PyTorch golden values for the SelfSup.Methods losses.

Writes tests/SelfSup.Methods.Tests/Fixtures/method_losses.safetensors with, for each loss, its inputs, the loss
and the gradients with respect to the inputs. Each loss is written the way its reference code computes it:

- InfoNCE with a queue: facebookresearch/moco builder.py (normalised q, k; logits = cat([q.k, q.queue]) / T;
  cross-entropy against index 0). Gradients w.r.t. the unnormalised q and k.
- NT-Xent: the common PyTorch implementation (Spijkervet/SimCLR's NT_Xent: cosine similarities of the 2N
  projections, positives from the +-N diagonals, negatives by a mask, cross-entropy summed / 2N).
- NCE: lemniscate.pytorch's NCEAverage (exp(v.f / T) / Z over rows idx, idx[:, 0] = y) and NCECriterion
  (Pn = 1/n, eps 1e-7), for a fixed index set; Z both fixed and estimated from the batch; plus the memory update
  normalise(m.v + (1-m).f) and the full-softmax variant (LinearAverage + cross-entropy).

Run with Debian's Python: /usr/bin/python3 tools/golden/make_method_fixtures.py (deterministic, float32).
"""
import pathlib
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from fixture import Fixture, seeded  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "SelfSup.Methods.Tests" / "Fixtures"


def leaf(t):
    return t.clone().requires_grad_(True)


def infonce(fx):
    g = seeded("infonce")
    n, d, k, t = 6, 16, 24, 0.07
    q_raw, k_raw = torch.randn(n, d, generator=g), torch.randn(n, d, generator=g)
    queue = F.normalize(torch.randn(d, k, generator=g), dim=0)        # moco's (dim, K) buffer
    qr, kr = leaf(q_raw), leaf(k_raw)
    q, kk = F.normalize(qr, dim=1), F.normalize(kr, dim=1)
    l_pos = torch.einsum("nc,nc->n", q, kk).unsqueeze(-1)
    l_neg = torch.einsum("nc,ck->nk", q, queue)
    logits = torch.cat([l_pos, l_neg], dim=1) / t
    labels = torch.zeros(logits.shape[0], dtype=torch.long)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    fx.add("infonce.q_raw", q_raw, "(N, D) queries before L2-normalisation")
    fx.add("infonce.k_raw", k_raw, "(N, D) keys before L2-normalisation")
    fx.add("infonce.queue", queue.t().contiguous(), "(K, D) negatives, unit rows")
    fx.add("infonce.loss", loss, "scalar")
    fx.add("infonce.grad_q_raw", qr.grad, "d loss / d q_raw")
    fx.add("infonce.grad_k_raw", kr.grad, "d loss / d k_raw")
    fx.meta("infonce.temperature", t)


def ntxent(fx):
    g = seeded("ntxent")
    n, d, t = 5, 12, 0.5
    z1, z2 = torch.randn(n, d, generator=g), torch.randn(n, d, generator=g)
    a, b = leaf(z1), leaf(z2)
    z = torch.cat([a, b], dim=0)
    sim = F.cosine_similarity(z.unsqueeze(1), z.unsqueeze(0), dim=2) / t
    pos = torch.cat([torch.diag(sim, n), torch.diag(sim, -n)]).reshape(2 * n, 1)
    mask = torch.ones(2 * n, 2 * n, dtype=torch.bool)
    mask.fill_diagonal_(False)
    for i in range(n):
        mask[i, n + i] = False
        mask[n + i, i] = False
    neg = sim[mask].reshape(2 * n, -1)
    logits = torch.cat([pos, neg], dim=1)
    labels = torch.zeros(2 * n, dtype=torch.long)
    loss = F.cross_entropy(logits, labels, reduction="sum") / (2 * n)
    loss.backward()
    fx.add("ntxent.z1", z1, "(N, D) first views' projections")
    fx.add("ntxent.z2", z2, "(N, D) second views' projections")
    fx.add("ntxent.loss", loss, "scalar")
    fx.add("ntxent.grad_z1", a.grad, "d loss / d z1")
    fx.add("ntxent.grad_z2", b.grad, "d loss / d z2")
    fx.meta("ntxent.temperature", t)


def nce_criterion(x, n_data):
    """lemniscate.pytorch NCECriterion."""
    eps = 1e-7
    bsz, k = x.shape[0], x.shape[1] - 1
    pn = 1.0 / n_data
    p_mt = x.select(1, 0)
    ln_pmt = torch.div(p_mt, p_mt.add(k * pn + eps)).log_()
    p_on_div = x.narrow(1, 1, k).add(k * pn + eps)
    p_on = p_on_div.clone().fill_(k * pn)
    ln_pon = torch.div(p_on, p_on_div).log_()
    return -(ln_pmt.sum(0) + ln_pon.view(-1, 1).sum(0)) / bsz


def nce(fx):
    g = seeded("nce")
    b, d, n, k, t, m = 4, 8, 20, 6, 0.1, 0.5
    stdv = 1.0 / (d / 3) ** 0.5
    memory = F.normalize(torch.rand(n, d, generator=g).mul_(2 * stdv).add_(-stdv), dim=1)
    x = F.normalize(torch.randn(b, d, generator=g), dim=1)
    y = torch.randperm(n, generator=g)[:b]
    idx = torch.randint(0, n, (b, k + 1), generator=g)
    idx[:, 0] = y
    fx.add("nce.memory", memory, "(n, D) bank, unit rows")
    fx.add("nce.x", x, "(B, D) features (unit rows)")
    fx.add("nce.y", y, "(B) dataset indices")
    fx.add("nce.idx", idx, "(B, K+1) bank rows, idx[:, 0] = y")
    fx.meta("nce.temperature", t)
    fx.meta("nce.momentum", m)

    def scores(xx):
        weight = torch.index_select(memory, 0, idx.view(-1)).view(b, k + 1, d)
        return torch.bmm(weight, xx.view(b, d, 1)).view(b, k + 1).div(t).exp()

    # Z estimated from this batch, as the first call of NCEAverage does.
    with torch.no_grad():
        z_est = (scores(x).mean() * n).item()
    fx.add("nce.z_estimate", torch.tensor(z_est), "n.mean(exp(v.f/T)) over the batch's (B, K+1) scores")
    z_fixed = 2.5 * n
    fx.add("nce.z_fixed", torch.tensor(z_fixed), "a fixed Z")
    for name, z in (("fixed", z_fixed), ("est", z_est)):
        xx = leaf(x)
        out = scores(xx) / z
        loss = nce_criterion(out, n).squeeze()
        loss.backward()
        fx.add(f"nce.loss_{name}", loss, f"NCECriterion with Z = z_{'fixed' if name == 'fixed' else 'estimate'}")
        fx.add(f"nce.grad_x_{name}", xx.grad, "d loss / d x")
    pos = memory[y] * m + x * (1 - m)
    fx.add("nce.memory_rows_after", pos / pos.pow(2).sum(1, keepdim=True).pow(0.5), "(B, D) bank rows y after the update")
    xx = leaf(x)
    loss = F.cross_entropy(torch.mm(xx, memory.t()) / t, y)
    loss.backward()
    fx.add("nce.softmax_loss", loss, "full softmax (K = 0): cross-entropy of x.memory^T / T against y")
    fx.add("nce.softmax_grad_x", xx.grad, "d loss / d x")


def main():
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    fx = Fixture("method_losses.safetensors", "InfoNCE (queue), NT-Xent, NCE golden values")
    infonce(fx)
    ntxent(fx)
    nce(fx)
    path = fx.write(OUT)
    print(f"wrote {path} ({len(fx.tensors)} tensors)")


if __name__ == "__main__":
    main()
