"""PyTorch golden values for a few InstDisc training steps (Wu et al. 2018, "Unsupervised Feature Learning via
Non-Parametric Instance Discrimination").

Writes tests/SelfSup.Methods.Tests/Fixtures/instdisc_steps.safetensors. The step follows the official code
(zhirongw/lemniscate.pytorch: lib/NCEAverage.py, lib/NCECriterion.py, cifar.py's train loop), written out here on a
tiny ResNet-18 (CIFAR stem, width 4, 1 x 16 x 16 images) so that the whole trajectory - forward, NCE loss, backward,
SGD with momentum and weight decay, memory-bank write and the one-off Z estimate - can be replayed by the C# method:

    f = normalize(fc(backbone(x)))                                    (B, 128)
    rows = [index, K noise rows]                                      (B, K+1), the noise rows stored per step
    s = exp(bank[rows] . f / tau);  Z = mean(s) * n at the first step only
    P = s / Z;  loss = -(sum log(P0 / (P0 + K/n + eps)) + sum log((K/n) / (Pj + K/n + eps))) / B
    SGD(lr, momentum 0.9, weight_decay) over every parameter;  bank[index] = normalize(m bank[index] + (1 - m) f)

Four losses and three updates, because the trajectory turns chaotic soon after, in PyTorch itself: on a 12-step
version of this fixture, scaling every initial weight by (1 + 1e-6 N(0, 1)) moved the fourth loss by 0.7 % and the sixth
by 2 %, and float64 differed from float32 by 5e-4 at the fifth loss; a 1e-7 perturbation moved the weights after four
updates by up to 3e-2 (the same at n 128-256, K 32-64, 8 px images or lr 0.003). Up to the fourth loss float32 and
float64 agree to 1.4e-5, so the test can be tight there.

Stored: the initial state dict ("init.", python names: backbone.*, head.weight, head.bias), the initial bank, the
images (n, 1, 16, 16), each step's batch indices and noise rows, the loss of each step, Z, and the bank and state dict
("final.") the last loss sees: the last step is a forward pass only, so every stored value lies inside the stable part
of the trajectory. Run with Debian's Python: /usr/bin/python3 tools/golden/instdisc_fixtures.py
(deterministic, float32, one thread).
"""
import pathlib
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "reference"))
from fixture import Fixture, seeded  # noqa: E402
from nets import ResNet18  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402

OUT = HERE.parents[1] / "tests" / "SelfSup.Methods.Tests" / "Fixtures"
N_IMAGES, BATCH, K, DIM, SIZE, WIDTH, STEPS = 32, 8, 16, 128, 16, 4, 4
TAU, BANK_M, EPS, LR, MOMENTUM, WD = 0.1, 0.5, 1e-7, 0.03, 0.9, 5e-4


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = ResNet18(WIDTH)
        self.head = nn.Linear(self.backbone.feature_dim, DIM)

    def forward(self, x):
        return F.normalize(self.head(self.backbone(x)), dim=1)                          # (B, 128)


def nce_loss(f, bank, rows, z):
    """NCEAverage's scores and NCECriterion's loss; returns (loss, Z used)."""
    s = torch.exp(torch.bmm(bank[rows], f.unsqueeze(2)).squeeze(2) / TAU)               # (B, K+1)
    if z < 0:
        z = float(s.detach().mean()) * N_IMAGES
    p = s / z
    k_pn = K / N_IMAGES
    log_pos = torch.log(p[:, 0] / (p[:, 0] + k_pn + EPS))
    log_noise = torch.log(k_pn / (p[:, 1:] + k_pn + EPS))
    return -(log_pos.sum() + log_noise.sum()) / f.shape[0], z


def main():
    torch.set_num_threads(1)
    torch.manual_seed(11)                                                               # torch's own initialisers
    net = Net().train()
    g = seeded("instdisc_steps")
    stdv = 1.0 / (DIM / 3) ** 0.5
    bank = F.normalize(torch.rand(N_IMAGES, DIM, generator=g) * 2 * stdv - stdv, dim=1)  # (n, 128)
    images = torch.randn(N_IMAGES, 1, SIZE, SIZE, generator=g)                          # (n, 1, 16, 16)
    indices = torch.stack([torch.randperm(N_IMAGES, generator=g)[:BATCH] for _ in range(STEPS)])   # (S, B)
    noise = torch.randint(N_IMAGES, (STEPS, BATCH, K), generator=g)                     # (S, B, K)

    fx = Fixture("instdisc_steps.safetensors", "InstDisc: 4 losses and 3 SGD steps of a width-4 ResNet-18 with NCE and bank writes")
    fx.add_state_dict({k: v.clone() for k, v in net.state_dict().items()}, "init.", "initial weights")
    fx.add("bank.init", bank, "initial memory bank (n, 128)")
    fx.add("data.images", images, "the n training images")
    fx.add("data.indices", indices, "batch indices per step (S, B)")
    fx.add("data.noise", noise, "noise bank rows per step (S, B, K)")

    opt = torch.optim.SGD(net.parameters(), LR, momentum=MOMENTUM, weight_decay=WD)
    losses, z = [], -1.0
    for step in range(STEPS):
        idx = indices[step]
        f = net(images[idx])
        rows = torch.cat([idx[:, None], noise[step]], 1)                                # (B, K+1)
        loss, z = nce_loss(f, bank, rows, z)
        losses.append(float(loss))
        if step == STEPS - 1:
            break                                                                       # the last loss: forward only
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            bank.index_copy_(0, idx, F.normalize(bank[idx] * BANK_M + f.detach() * (1 - BANK_M), dim=1))

    fx.add("losses", torch.tensor(losses), "loss of each step, before its update")
    fx.add("z", torch.tensor(z), "Z estimated at the first step")
    fx.add("bank.final", bank, "memory bank the last loss sees (after STEPS - 1 writes)")
    fx.add_state_dict({k: v.clone() for k, v in net.state_dict().items()}, "final.",
                      "weights the last loss sees (after STEPS - 1 updates; BN running stats after STEPS forwards)")
    fx.meta("recipe", dict(n=N_IMAGES, batch=BATCH, k=K, dim=DIM, size=SIZE, width=WIDTH, steps=STEPS, tau=TAU,
                           bank_momentum=BANK_M, lr=LR, momentum=MOMENTUM, weight_decay=WD))
    path = fx.write(OUT)
    back = read_safetensors(path)
    assert all(torch.equal(torch.from_numpy(back[0][k].copy()), v) for k, v in fx.tensors.items()), "read-back mismatch"
    print(f"{path}: losses {', '.join(f'{x:.4f}' for x in losses)}; Z {z:.3f}")


if __name__ == "__main__":
    main()
