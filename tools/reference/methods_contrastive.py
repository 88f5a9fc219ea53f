"""InstDisc, MoCo v1/v2, SimCLR and DenseCL with SelfSup's small presets (src/SelfSup.Methods: MethodOptions*.cs
Small(), the methods, Losses/, Heads/, Components/). Each builder starts with one dict `hp` of the recipe's values."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from nets import Encoder, Linear, ResNet18, mlp, mm, momentum_copy, momentum_update, shuffled_forward


def recipe(ctx, **values):
    """A method's hp dict: the small preset's values, then ctx.overrides if any (the golden step fixtures shrink the
    heads and queues to keep the files small)."""
    values.update(getattr(ctx, "overrides", {}))
    return values


def sgd(lr, wd, schedule, milestones=(), scaling="linear"):
    return dict(kind="sgd", lr=lr, scaling=scaling, momentum=0.9, wd=wd, schedule=schedule, warmup_epochs=0.0,
                milestones=list(milestones))


class Method(nn.Module):
    """loss(views, indices) -> scalar, then after the optimiser step after_step(step, total)."""
    hp: dict
    backbone: nn.Module

    def params(self):
        return [p for p in self.parameters() if p.requires_grad]

    def after_step(self, step, total):
        pass


def info_nce_with_queue(q, k, queue, tau):
    """InfoNce.WithQueue: logits [q.k, q.queue^T] / tau, positive at 0, mean CE."""
    logits = torch.cat([(q * k).sum(1, keepdim=True), mm(q, queue.T)], 1) / tau
    return F.cross_entropy(logits, torch.zeros(q.shape[0], dtype=torch.long))


# ---------------------------------------------------------------------------------------------- InstDisc (Wu 2018)
class InstDisc(Method):
    def __init__(self, ctx):
        super().__init__()
        self.hp = hp = recipe(ctx, dim=128, nce_k=4096, tau=0.1, bank_momentum=0.5, nce_eps=1e-7,
                            optimizer=sgd(0.03, 5e-4, "step", (0.4, 0.6, 0.8), scaling="none"))
        self.backbone = ResNet18(ctx.width)
        self.head = Linear(self.backbone.feature_dim, hp["dim"])
        self.n, self.gen = ctx.n_train, ctx.gen
        stdv = 1.0 / (hp["dim"] / 3) ** 0.5                      # NCEAverage's uniform init, then normalised
        self.register_buffer("bank", F.normalize(torch.rand(self.n, hp["dim"], generator=self.gen) * 2 * stdv - stdv, dim=1))
        self.z = -1.0
        self.pending = None

    def loss(self, views, indices):
        hp = self.hp
        f = F.normalize(self.head(self.backbone(views[0])), dim=1)                      # (B, 128)
        b, k = f.shape[0], hp["nce_k"]
        rows = torch.cat([indices[:, None], torch.randint(self.n, (b, k), generator=self.gen)], 1)   # (B, K+1)
        scores = torch.exp(torch.gather(mm(f, self.bank.T), 1, rows) / hp["tau"])          # (B, K+1), bank constant
        z = self.z if self.z > 0 else float(scores.detach().mean()) * self.n            # Eq. 6, first batch only
        k_pn = k / self.n
        p = scores / z
        pos, noise = p[:, :1], p[:, 1:]
        log_h = torch.log(pos / (pos + (k_pn + hp["nce_eps"])))
        log_1mh = torch.log(torch.tensor(k_pn, dtype=torch.float32)) - torch.log(noise + (k_pn + hp["nce_eps"]))
        self.pending = (indices, f.detach(), z)
        return -(log_h.sum() + log_1mh.sum()) / b

    @torch.no_grad()
    def after_step(self, step, total):
        indices, f, z = self.pending
        m = self.hp["bank_momentum"]
        self.bank[indices] = F.normalize(m * self.bank[indices] + (1 - m) * f, dim=1)
        if self.z <= 0:
            self.z = z


# ------------------------------------------------------------------------------------------ MoCo v1 / v2 (He 2020)
class MoCo(Method):
    def __init__(self, ctx, v2):
        super().__init__()
        self.hp = hp = recipe(ctx, dim=128, queue=4096, momentum=0.99, tau=0.1 if v2 else 0.07, bn_splits=8, mlp=v2,
                            optimizer=sgd(0.03, 5e-4, "cosine") if v2 else sgd(0.03, 5e-4, "step", (0.6, 0.8)))
        self.backbone = ResNet18(ctx.width, bn_splits=hp["bn_splits"])
        f = self.backbone.feature_dim
        head = mlp([f, f, hp["dim"]], bn=False) if v2 else Linear(f, hp["dim"])     # v2: hidden = backbone width
        self.query = Encoder(self.backbone, head)
        self.key = momentum_copy(self.query)
        self.gen = ctx.gen
        self.register_buffer("queue", F.normalize(torch.randn(hp["queue"], hp["dim"], generator=self.gen), dim=1))
        self.ptr, self.pending = 0, None

    def loss(self, views, indices):
        q = F.normalize(self.query(views[0]), dim=1)                                    # split BN on the query too
        k = F.normalize(shuffled_forward(self.key, views[1], self.gen), dim=1)          # shuffling BN
        self.pending = k
        return info_nce_with_queue(q, k, self.queue, self.hp["tau"])

    @torch.no_grad()
    def after_step(self, step, total):
        momentum_update(self.query, self.key, self.hp["momentum"])
        self.ptr = enqueue(self.queue, self.ptr, self.pending)


@torch.no_grad()
def enqueue(queue, ptr, keys):
    n = keys.shape[0]
    queue[ptr:ptr + n] = keys
    return (ptr + n) % queue.shape[0]


# ------------------------------------------------------------------------------------------------ SimCLR (Chen 2020)
class SimClr(Method):
    def __init__(self, ctx):
        super().__init__()
        self.hp = hp = recipe(ctx, dim=128, tau=0.5, optimizer=dict(kind="lars", lr=1.0, scaling="linear", momentum=0.9, wd=1e-4,
                                                            schedule="cosine", warmup_epochs=10.0, milestones=[]))
        self.backbone = ResNet18(ctx.width)
        f = self.backbone.feature_dim
        self.head = mlp([f, f, hp["dim"]], bn=True)                                     # Linear BN ReLU Linear

    def loss(self, views, indices):
        n, tau = views[0].shape[0], self.hp["tau"]
        z = F.normalize(self.head(self.backbone(torch.cat(views, 0))), dim=1)          # (2N, D), BN sees all 2N
        logits = (mm(z, z.T) - torch.eye(2 * n) * 1e9 * tau) / tau                         # self-similarity masked
        positives = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
        return F.cross_entropy(logits, positives)


# --------------------------------------------------------------------------------------------- DenseCL (Wang 2021)
class DenseCl(Method):
    def __init__(self, ctx):
        super().__init__()
        self.hp = hp = recipe(ctx, dim=128, hidden=512, queue=4096, momentum=0.99, tau=0.2, bn_splits=8, dense_weight=0.5,
                            optimizer=sgd(0.03, 5e-4, "cosine"))
        self.backbone = ResNet18(ctx.width, bn_splits=hp["bn_splits"])
        f = self.backbone.feature_dim
        self.global_head = mlp([f, hp["hidden"], hp["dim"]], bn=False)
        self.dense_head = nn.Sequential(nn.Conv2d(f, hp["hidden"], 1), nn.ReLU(inplace=True), nn.Conv2d(hp["hidden"], hp["dim"], 1))
        online = nn.ModuleList([self.backbone, self.global_head, self.dense_head])
        self.key = momentum_copy(online)
        self.online = online
        self.gen = ctx.gen
        self.register_buffer("queue", F.normalize(torch.randn(hp["queue"], hp["dim"], generator=self.gen), dim=1))
        self.register_buffer("dense_queue", F.normalize(torch.randn(hp["queue"], hp["dim"], generator=self.gen), dim=1))
        self.ptr, self.pending = 0, None

    @staticmethod
    def encode(parts, x):
        """(normalised global q (N, D), normalised dense q (N, D, S), normalised mean dense (N, D), normalised
        backbone map (N, F, S))."""
        backbone, global_head, dense_head = parts
        fmap = backbone.features(x)                                                     # (N, F, 4, 4)
        g = F.normalize(global_head(torch.flatten(F.adaptive_avg_pool2d(fmap, 1), 1)), dim=1)
        d = dense_head(fmap)                                                            # (N, D, 4, 4)
        pooled = F.normalize(d.mean((2, 3)), dim=1)                                     # the dense queue's entry
        return g, F.normalize(d.flatten(2), dim=1), pooled, F.normalize(fmap.flatten(2), dim=1)

    def loss(self, views, indices):
        hp, tau = self.hp, self.hp["tau"]
        q, q_dense, _, q_map = self.encode(self.online, views[0])
        k, k_dense, k_pooled, k_map = shuffled_forward(lambda x: self.encode(self.key, x), views[1], self.gen)
        self.pending = (k, k_pooled)
        global_loss = info_nce_with_queue(q, k, self.queue, tau)
        match = torch.bmm(q_map.transpose(1, 2), k_map).argmax(2)                      # (N, S): best key location
        k_matched = torch.gather(k_dense, 2, match[:, None, :].expand(-1, k_dense.shape[1], -1))   # (N, D, S)
        qd = q_dense.transpose(1, 2).reshape(-1, q_dense.shape[1])                     # (N*S, D)
        kd = k_matched.transpose(1, 2).reshape(-1, q_dense.shape[1])
        dense_loss = info_nce_with_queue(qd, kd, self.dense_queue, tau)
        return (1 - hp["dense_weight"]) * global_loss + hp["dense_weight"] * dense_loss

    @torch.no_grad()
    def after_step(self, step, total):
        momentum_update(self.online, self.key, self.hp["momentum"])
        k, k_pooled = self.pending
        enqueue(self.dense_queue, self.ptr, k_pooled)
        self.ptr = enqueue(self.queue, self.ptr, k)
