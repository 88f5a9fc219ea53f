"""PyTorch golden values for the five contrastive / non-contrastive losses of SelfSup.Methods.

Writes tests/SelfSup.Methods.Tests/Fixtures/losses.safetensors: for each case its inputs, the loss and the gradients
of the loss with respect to every input that receives one. Each loss is written here from its paper's equation and
its official code (not from the C# implementation):

- ntxent_t05, ntxent_t01: SimCLR (Chen et al. 2020, Eq. 1), google-research/simclr objective.py add_contrastive_loss
  translated to PyTorch: unit rows h1, h2; logits_aa = h1.h1^T/T - LARGE_NUM.I, logits_ab = h1.h2^T/T (and ba, bb);
  loss_a = CE([logits_ab, logits_aa], i), loss_b = CE([logits_ba, logits_bb], i), each a mean over N.
  The official value is loss_a + loss_b; stored `loss` is their mean, (loss_a + loss_b) / 2 = the mean over all 2N
  anchors (SelfSup's scale, see NtXent.cs); `loss_official` holds the sum.
- infonce_queue: MoCo (He et al. 2020, Eq. 1 / Algorithm 1), facebookresearch/moco builder.py: q = normalize(q_raw),
  k = normalize(k_raw), logits = cat([q.k, q.queue]) / T, CE against 0. The queue gets no gradient.
- nce: InstDisc (Wu et al. 2018, Eq. 5-6), lemniscate.pytorch NCEAverage + NCECriterion with explicit bank rows
  idx (column 0 = the sample's own row): P = exp(v_idx . f / T) / Z, Z = n.mean(exp(v.f/T)) from this batch as the
  first call of NCEAverage (a constant, no gradient through it), Pn = 1/n, eps 1e-7. f = normalize(f_raw).
  Also the full-softmax variant (K = 0, LinearAverage + CE over the whole bank).
- byol: BYOL (Grill et al. 2020, Eq. 2-3), deepmind byol_experiment.py regression_loss
  2 - 2.<p/|p|, z/|z|> (mean over the batch), symmetrised L(p1, z2') + L(p2, z1'); the targets are stop-gradient.
- barlow: Barlow Twins (Zbontar et al. 2021, Eq. 1-2), facebookresearch/barlowtwins main.py: c = bn(z1)^T bn(z2) / N
  with BatchNorm1d(affine=False) in training mode (biased variance, eps 1e-5), loss = sum((diag(c) - 1)^2)
  + lambda.sum(offdiag(c)^2), lambda 0.0051.

Inputs are float32; each loss is evaluated in float64 from them (so the reference carries no float32 rounding of its
own) and stored as float32. Run with Debian's Python: /usr/bin/python3 tools/golden/loss_fixtures.py
(deterministic; a re-run reproduces the file byte for byte, and the file is read back and checked at the end).
"""
import pathlib
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from fixture import Fixture, seeded  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "SelfSup.Methods.Tests" / "Fixtures"
LARGE_NUM = 1e9


def leaf(t):
    """A float64 leaf copy of a float32 input."""
    return t.double().clone().requires_grad_(True)


def add_result(fx, case, loss, leaves):
    fx.add(f"{case}.loss", loss.detach().float(), "scalar loss")
    loss.backward()
    for name, t in leaves.items():
        fx.add(f"{case}.grad_{name}", t.grad.float(), f"d loss / d {name}")


def ntxent(fx, case, temperature):
    g = seeded("losses", case)
    n, d = 8, 16
    z1, z2 = torch.randn(n, d, generator=g), torch.randn(n, d, generator=g)
    fx.add(f"{case}.z1", z1, "(N, D) first views' projections (not normalised)")
    fx.add(f"{case}.z2", z2, "(N, D) second views' projections; row i is the positive of z1's row i")
    a, b = leaf(z1), leaf(z2)
    h1, h2 = F.normalize(a, dim=1), F.normalize(b, dim=1)
    masks = torch.eye(n, dtype=torch.float64)
    labels = torch.arange(n)
    logits_aa = h1 @ h1.t() / temperature - masks * LARGE_NUM
    logits_bb = h2 @ h2.t() / temperature - masks * LARGE_NUM
    logits_ab = h1 @ h2.t() / temperature
    logits_ba = h2 @ h1.t() / temperature
    loss_a = F.cross_entropy(torch.cat([logits_ab, logits_aa], 1), labels)
    loss_b = F.cross_entropy(torch.cat([logits_ba, logits_bb], 1), labels)
    fx.add(f"{case}.loss_official", (loss_a + loss_b).detach().float(), "the official TF value loss_a + loss_b")
    add_result(fx, case, (loss_a + loss_b) / 2, {"z1": a, "z2": b})
    fx.meta(f"{case}.temperature", temperature)


def infonce_queue(fx, case="infonce_queue", temperature=0.2):
    g = seeded("losses", case)
    n, d, k = 8, 16, 32
    q_raw, k_raw = torch.randn(n, d, generator=g), torch.randn(n, d, generator=g)
    queue = F.normalize(torch.randn(d, k, generator=g), dim=0)            # moco's (dim, K) buffer, unit columns
    fx.add(f"{case}.q_raw", q_raw, "(N, D) query-encoder outputs before L2-normalisation")
    fx.add(f"{case}.k_raw", k_raw, "(N, D) key-encoder outputs before L2-normalisation")
    fx.add(f"{case}.queue", queue.t().contiguous(), "(K, D) negatives (queue rows), unit rows")
    qr, kr = leaf(q_raw), leaf(k_raw)
    q, kk = F.normalize(qr, dim=1), F.normalize(kr, dim=1)
    l_pos = torch.einsum("nc,nc->n", q, kk).unsqueeze(-1)
    l_neg = torch.einsum("nc,ck->nk", q, queue.double())
    logits = torch.cat([l_pos, l_neg], dim=1) / temperature
    loss = F.cross_entropy(logits, torch.zeros(n, dtype=torch.long))
    add_result(fx, case, loss, {"q_raw": qr, "k_raw": kr})
    fx.meta(f"{case}.temperature", temperature)


def nce(fx, case="nce", temperature=0.07):
    g = seeded("losses", case)
    b, d, n, k = 6, 16, 40, 8
    stdv = 1.0 / (d / 3) ** 0.5
    memory = torch.rand(n, d, generator=g).mul_(2 * stdv).add_(-stdv)    # NCEAverage's initial bank (not normalised)
    f_raw = torch.randn(b, d, generator=g)
    y = torch.randperm(n, generator=g)[:b]
    idx = torch.randint(0, n, (b, k + 1), generator=g)
    idx[:, 0] = y
    fx.add(f"{case}.memory", memory, "(n, D) memory bank")
    fx.add(f"{case}.f_raw", f_raw, "(B, D) embeddings before L2-normalisation")
    fx.add(f"{case}.y", y, "(B) dataset indices of the batch")
    fx.add(f"{case}.idx", idx, "(B, K+1) bank rows: idx[:, 0] = y, then K noise draws")
    fr = leaf(f_raw)
    x = F.normalize(fr, dim=1)
    weight = torch.index_select(memory.double(), 0, idx.view(-1)).view(b, k + 1, d)
    scores = torch.bmm(weight, x.view(b, d, 1)).view(b, k + 1).div(temperature).exp()   # exp(v.f / T)
    z = scores.detach().mean().item() * n                                               # NCEAverage's first-call Z
    fx.add(f"{case}.z", torch.tensor(z, dtype=torch.float32), "Z = n.mean(scores) of this batch (a constant)")
    out = scores / z
    eps, pn = 1e-7, 1.0 / n                                                             # NCECriterion
    p_mt = out.select(1, 0)
    ln_pmt = torch.div(p_mt, p_mt + (k * pn + eps)).log()
    p_on_div = out.narrow(1, 1, k) + (k * pn + eps)
    ln_pon = torch.div(torch.full_like(p_on_div, k * pn), p_on_div).log()
    loss = -(ln_pmt.sum() + ln_pon.sum()) / b
    add_result(fx, case, loss, {"f_raw": fr})
    fx.meta(f"{case}.temperature", temperature)

    fr = leaf(f_raw)                                                                    # K = 0: LinearAverage + CE
    logits = F.normalize(fr, dim=1) @ memory.double().t() / temperature
    add_result(fx, f"{case}_softmax", F.cross_entropy(logits, y), {"f_raw": fr})


def byol(fx, case="byol"):
    g = seeded("losses", case)
    n, d = 8, 16
    p1, p2 = torch.randn(n, d, generator=g), torch.randn(n, d, generator=g)
    t1, t2 = torch.randn(n, d, generator=g), torch.randn(n, d, generator=g)
    fx.add(f"{case}.p1", p1, "(N, D) online predictions of view 1")
    fx.add(f"{case}.p2", p2, "(N, D) online predictions of view 2")
    fx.add(f"{case}.t1", t1, "(N, D) target projections of view 1 (stop-gradient)")
    fx.add(f"{case}.t2", t2, "(N, D) target projections of view 2 (stop-gradient)")
    a, b = leaf(p1), leaf(p2)

    def regression_loss(x, y):
        x = F.normalize(x, dim=-1)
        y = F.normalize(y, dim=-1)
        return (2 - 2 * (x * y).sum(dim=-1)).mean()

    loss = regression_loss(a, t2.double()) + regression_loss(b, t1.double())
    add_result(fx, case, loss, {"p1": a, "p2": b})


def barlow(fx, case="barlow", lambd=0.0051):
    g = seeded("losses", case)
    n, d = 16, 12
    z1 = torch.randn(n, d, generator=g) * 2 + 0.5
    z2 = 0.3 * z1 + torch.randn(n, d, generator=g)                        # correlated views: C far from 0 and from I
    fx.add(f"{case}.z1", z1, "(N, D) projections of view 1")
    fx.add(f"{case}.z2", z2, "(N, D) projections of view 2")
    a, b = leaf(z1), leaf(z2)
    bn = torch.nn.BatchNorm1d(d, affine=False).double().train()
    c = bn(a).T @ bn(b) / n
    on_diag = (torch.diagonal(c) - 1).pow(2).sum()
    off_diag = (c.flatten()[:-1].view(d - 1, d + 1)[:, 1:].flatten()).pow(2).sum()   # the official off_diagonal()
    add_result(fx, case, on_diag + lambd * off_diag, {"z1": a, "z2": b})
    fx.meta(f"{case}.lambda", lambd)


def main():
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    fx = Fixture("losses.safetensors", "NT-Xent, InfoNCE (queue), NCE, BYOL, Barlow Twins golden values")
    ntxent(fx, "ntxent_t05", 0.5)
    ntxent(fx, "ntxent_t01", 0.1)
    infonce_queue(fx)
    nce(fx)
    byol(fx)
    barlow(fx)
    fx.meta("cases", ["ntxent_t05", "ntxent_t01", "infonce_queue", "nce", "nce_softmax", "byol", "barlow"])
    path = fx.write(OUT)
    tensors, metadata = read_safetensors(path)
    assert list(tensors) == list(fx.tensors), "tensor order changed on read-back"
    for name, t in fx.tensors.items():
        assert np.array_equal(tensors[name], t.numpy()), f"{name} differs on read-back"
    assert metadata == fx.metadata
    print(f"wrote {path} ({len(fx.tensors)} tensors, {path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
