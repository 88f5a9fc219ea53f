"""Optimisers and lr schedules as SelfSup builds them (Recipe.BuildOptimizer / BuildSchedule, Engine/Optim): SGD is
torch.optim.SGD over every parameter; LARS is Engine/Optim/Lars.cs (the Barlow Twins official variant): rank-1
parameters (biases, BN) get no weight decay and no adaptation, others g <- q (g + wd p) with q = eta |p| / |g + wd p|;
buf <- mu buf + g (buf = g at the first step); p <- p - lr buf. Float32 arithmetic where the C# uses float."""
import math

import numpy as np
import torch

f32 = np.float32


class Lars(torch.optim.Optimizer):
    def __init__(self, params, lr, momentum=0.9, weight_decay=0.0, eta=1e-3, bias_lr_scale=1.0):
        params = list(params)
        decayed = [p for p in params if p.dim() != 1]
        excluded = [p for p in params if p.dim() == 1]
        # lr_scale: Barlow Twins trains biases and BN at 0.0048/0.2 of the weights' lr (Recipe.BuildOptimizer's groups)
        groups = [dict(params=decayed, weight_decay=weight_decay, adapt=True, lr_scale=1.0),
                  dict(params=excluded, weight_decay=0.0, adapt=False, lr_scale=bias_lr_scale)]
        super().__init__([g for g in groups if g["params"]], dict(lr=lr, momentum=momentum, eta=eta))

    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                d = p.grad.add(p, alpha=g["weight_decay"]) if g["weight_decay"] != 0 else p.grad.clone()
                if g["adapt"]:
                    pn, dn = torch.norm(p), torch.norm(d)
                    q = g["eta"] * pn / dn if pn > 0 and dn > 0 else 1.0
                    d.mul_(q)
                state = self.state[p]
                if "buf" not in state:
                    state["buf"] = d.clone()
                else:
                    state["buf"].mul_(g["momentum"]).add_(d)
                p.add_(state["buf"], alpha=-g["lr"] * g["lr_scale"])


def lr_for(recipe, batch_size):
    """OptimizerDefaults.LrFor."""
    scaling = recipe["scaling"]
    if scaling == "linear":
        return float(f32(recipe["lr"]) * f32(batch_size) / f32(256))
    if scaling == "sqrt":
        return float(f32(recipe["lr"]) * f32(math.sqrt(batch_size)))
    return recipe["lr"]


def build_optimizer(recipe, params, lr):
    if recipe["kind"] == "lars":
        return Lars(params, lr, recipe["momentum"], recipe["wd"], bias_lr_scale=recipe.get("bias_lr_scale", 1.0))
    if recipe["kind"] == "adamw":                     # MoCo v3's ViTs: AdamW over every parameter, beta2 0.999
        return torch.optim.AdamW(params, lr, betas=(recipe["momentum"], 0.999), weight_decay=recipe["wd"])
    return torch.optim.SGD(params, lr, momentum=recipe["momentum"], weight_decay=recipe["wd"])


def build_schedule(recipe, lr, epochs, steps_per_epoch):
    """A function step -> lr: StepDecay at int(fraction * total) steps, or WarmupCosine with
    warmup = int(min(warmup_epochs, epochs / 10) * steps_per_epoch) (OptimizerDefaults.WarmupEpochsFor)."""
    total = epochs * steps_per_epoch
    if recipe["schedule"] == "step":
        milestones = [int(f32(f) * f32(total)) for f in recipe["milestones"]]
        return lambda step: lr * 0.1 ** sum(step >= m for m in milestones)
    warmup = int(f32(min(f32(recipe["warmup_epochs"]), f32(epochs) / f32(10))) * f32(steps_per_epoch))

    def at(step):
        if step < warmup:
            return lr * max(step, 0) / warmup
        decay = total - warmup
        if decay == 0 or step >= total:
            return 0.0 if step >= total else lr
        return lr * (1 + math.cos(math.pi * (step - warmup) / decay)) / 2
    return at


def describe(recipe):
    return ", ".join(f"{k} {v}" for k, v in recipe.items())
