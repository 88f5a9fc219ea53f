"""BYOL, Barlow Twins and MoCo v3 (ResNet) with SelfSup's small presets. Each view goes through the networks on its
own (BN statistics per view). Each builder starts with one dict `hp` of the recipe's values."""
import torch
import torch.nn.functional as F

from methods_contrastive import Method, recipe
from nets import Encoder, ResNet18, cosine_momentum, mlp, mm, momentum_copy, momentum_update


def lars(lr, wd, warmup_epochs=10.0):
    return dict(kind="lars", lr=lr, scaling="linear", momentum=0.9, wd=wd, schedule="cosine",
                warmup_epochs=warmup_epochs, milestones=[])


# ----------------------------------------------------------------------------------------------- BYOL (Grill 2020)
class Byol(Method):
    def __init__(self, ctx):
        super().__init__()
        self.hp = hp = recipe(ctx, hidden=512, dim=128, base_momentum=0.99, optimizer=lars(1.0, 1e-5))
        self.backbone = ResNet18(ctx.width)
        self.online = Encoder(self.backbone, mlp([self.backbone.feature_dim, hp["hidden"], hp["dim"]], bn=True))
        self.predictor = mlp([hp["dim"], hp["hidden"], hp["dim"]], bn=True)
        self.target = momentum_copy(self.online)

    @staticmethod
    def regression(p, z):
        """ByolLoss: 2 - 2 cos(p, z), z constant, mean over the batch."""
        return 2 - 2 * (F.normalize(p, dim=1) * F.normalize(z.detach(), dim=1)).sum(1).mean()

    def loss(self, views, indices):
        p1, p2 = (self.predictor(self.online(v)) for v in views)
        with torch.no_grad():
            z1, z2 = (self.target(v) for v in views)                                    # train-mode BN, no gradient
        return self.regression(p1, z2) + self.regression(p2, z1)

    def after_step(self, step, total):
        momentum_update(self.online, self.target, cosine_momentum(self.hp["base_momentum"], step, total))


# -------------------------------------------------------------------------------------- Barlow Twins (Zbontar 2021)
class BarlowTwins(Method):
    def __init__(self, ctx):
        super().__init__()
        # biases and BN at 0.0048 per 0.2 of the weights' lr (the paper; Recipe.BuildOptimizer's second LARS group)
        self.hp = hp = recipe(ctx, hidden=2048, dim=2048, lam=0.0051, eps=1e-5,
                            optimizer=dict(lars(0.2, 1.5e-6), bias_lr_scale=0.0048 / 0.2))
        self.backbone = ResNet18(ctx.width)
        self.projector = mlp([self.backbone.feature_dim, hp["hidden"], hp["hidden"], hp["dim"]], bn=True, bias=False)

    def standardise(self, z):
        return (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + self.hp["eps"])

    def loss(self, views, indices):
        a, b = (self.standardise(self.projector(self.backbone(v))) for v in views)      # (N, D) each
        n = a.shape[0]
        c = mm(a.T, b) / n                                                                 # (D, D)
        diagonal = (a * b).sum(0) / n
        invariance = ((1 - diagonal) ** 2).sum()
        redundancy = (c * c).sum() - (diagonal * diagonal).sum()
        return invariance + self.hp["lam"] * redundancy


# -------------------------------------------------------------------------------------------- MoCo v3 (Chen 2021)
class MoCoV3(Method):
    """Spec of the small preset (the C# is being written in parallel): projector F-512-128 (BN after each Linear, the
    last affine=False), predictor 128-512-128 (BN after the hidden only), no biases (moco-v3 _build_mlp), momentum
    cosine 0.99 -> 1 over all steps (applied after each step, as BYOL here), in-batch negatives, tau 1, loss
    2 tau CE(q1 k2^T / tau) + 2 tau CE(q2 k1^T / tau), LARS lr 0.6 B/256, wd 1e-6, 10% warmup then cosine."""

    def __init__(self, ctx):
        super().__init__()
        self.hp = hp = recipe(ctx, hidden=512, dim=128, tau=1.0, base_momentum=0.99, optimizer=lars(0.6, 1e-6))
        self.backbone = ResNet18(ctx.width)
        projector = mlp([self.backbone.feature_dim, hp["hidden"], hp["dim"]], bn=True, bias=False, last_bn=True,
                        last_bn_affine=False)
        self.base = Encoder(self.backbone, projector)
        self.predictor = mlp([hp["dim"], hp["hidden"], hp["dim"]], bn=True, bias=False)
        self.momentum = momentum_copy(self.base)

    def contrastive(self, q, k):
        tau = self.hp["tau"]
        logits = mm(F.normalize(q, dim=1), F.normalize(k, dim=1).T) / tau
        return F.cross_entropy(logits, torch.arange(q.shape[0])) * 2 * tau

    def loss(self, views, indices):
        q1, q2 = (self.predictor(self.base(v)) for v in views)
        with torch.no_grad():
            k1, k2 = (self.momentum(v) for v in views)
        return self.contrastive(q1, k2) + self.contrastive(q2, k1)

    def after_step(self, step, total):
        momentum_update(self.base, self.momentum, cosine_momentum(self.hp["base_momentum"], step, total))
