"""Golden values for optimisers: a small CNN trained 20 steps (SGD, AdamW), and bare optimiser steps on one tensor."""
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

from fixture import Fixture, seeded

STEPS, BATCH, CLASSES = 20, 8, 10


def small_cnn():
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 8, 3, padding=1, bias=False)),
        ("bn1", nn.BatchNorm2d(8)),
        ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(8, 16, 3, padding=1, bias=True)),
        ("relu2", nn.ReLU()),
        ("avgpool", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(16, CLASSES)),
    ]))


def training_data():
    """20 distinct batches; each image = 1.5 * its class's template + N(0, 1) noise, so the loss can fall."""
    g = seeded("train_cnn", "data")
    templates = torch.randn((CLASSES, 1, 12, 12), generator=g)
    y = torch.randint(0, CLASSES, (STEPS, BATCH), generator=g, dtype=torch.int64)
    x = 1.5 * templates[y] + torch.randn((STEPS, BATCH, 1, 12, 12), generator=g)
    return x, y


def train_cnn(file_name, make_optimizer, optimizer_args):
    fx = Fixture(file_name, f"small CNN, 20 training steps with {optimizer_args['type']}")
    torch.manual_seed(1234)  # same initial weights in both training fixtures
    model = small_cnn()
    model.train()
    fx.add_state_dict(model.state_dict())
    x, y = training_data()
    fx.add("data.x", x)
    fx.add("data.y", y)
    opt = make_optimizer(model.parameters())
    losses = []
    for t in range(STEPS):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x[t]), y[t])
        loss.backward()
        opt.step()
        losses.append(loss.detach())
    fx.add("losses", torch.stack(losses))
    fx.add_state_dict(model.state_dict(), prefix="final.")
    fx.meta("optimizer", optimizer_args)
    fx.meta("model", "conv1 -> bn1 -> relu1 -> pool1 -> conv2 -> relu2 -> avgpool -> flatten -> fc (train mode)")
    fx.meta("loss", "F.cross_entropy(model(data.x[t]), data.y[t]) (mean), step t = 0..19, losses[t] before step t")
    return fx


def train_sgd_cnn():
    args = {"type": "SGD", "lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 5e-4, "nesterov": False}
    return train_cnn("train_sgd_cnn.safetensors",
                     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=5e-4), args)


def train_adamw_cnn():
    args = {"type": "AdamW", "lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.05, "amsgrad": False}
    return train_cnn("train_adamw_cnn.safetensors",
                     lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=0.05), args)


OPTIMIZERS = [  # name, constructor, args recorded in metadata
    ("sgd_plain", lambda p: torch.optim.SGD(p, lr=0.1), {"type": "SGD", "lr": 0.1}),
    ("sgd", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-4),
     {"type": "SGD", "lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 1e-4, "nesterov": False}),
    ("sgd_nesterov", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=True),
     {"type": "SGD", "lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 1e-4, "nesterov": True}),
    ("adamw", lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=0.05),
     {"type": "AdamW", "lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.05, "amsgrad": False}),
]


def optim_steps():
    fx = Fixture("optim_steps.safetensors", "5 optimiser steps on one (3, 4) parameter with fixed gradients")
    g = seeded("optim_steps")
    param0 = torch.randn((3, 4), generator=g)
    grads = torch.randn((5, 3, 4), generator=g)
    fx.add("param0", param0)
    fx.add("grads", grads)
    for name, make, args in OPTIMIZERS:
        p = nn.Parameter(param0.clone())
        opt = make([p])
        after = []
        for t in range(grads.shape[0]):
            p.grad = grads[t].clone()
            opt.step()
            after.append(p.detach().clone())
        fx.add(f"{name}.params", torch.stack(after))
        fx.meta(f"{name}.args", args)
    fx.meta("optimizers", [name for name, _, _ in OPTIMIZERS])
    return fx
