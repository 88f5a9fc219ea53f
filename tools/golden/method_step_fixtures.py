"""PyTorch golden values for a few training steps of each two-view method, taken from the PyTorch reference
implementation the accuracy runs compare against (tools/reference: methods_contrastive.py, methods_siamese.py,
optim.py), so that a C# test can show that SelfSup's method and the reference take the same steps.

Writes tests/SelfSup.Training.Tests/Fixtures/method_steps.safetensors. For each of mocov1, mocov2, simclr, byol,
barlowtwins, mocov3 and densecl: the reference method with its small preset, a width-4 ResNet-18 (CIFAR stem,
1 x 16 x 16 images), heads and queues shrunk by ctx.overrides (hidden 16, dim 8, queue 16, one BN split so that the
key encoder's shuffle cannot change its output), the optimiser the recipe builds at the recipe's lr for batch 8,
held constant, and after each step the method's own after-step update (momentum encoders, queues) with a run length
of TOTAL steps for the cosine momentum schedules. Three steps, then a fourth forward pass. And "mocov3-vit": MoCo v3's
ViT recipe (MoCoV3Options.SmallVit: 3-layer projector, predictor ending in BN, tau 0.2, AdamW with decay 0.1 on every
parameter, the random patch projection frozen) on a depth-2 ViT of width 24 (tools/golden/model_fixtures.py's
VisionTransformer and its non-degenerate init; patch 4, 3 heads, MLP 48), which the reference has no class for.

Stored, with SelfSup's state-dict names:
    backbone.*                   the initial backbone, the same in every method (torch.manual_seed before building)
    data.views                   (STEPS, 2, B, 1, 16, 16) the two views of each step
    M.init.*                     method M's other initial tensors (heads, momentum copies' heads; all of mocov3-vit's)
    M.extra.*                    its initial queues
    M.losses                     (STEPS,) the loss of each step; the last is forward only
    M.delta.NAME                 the L2 norm of (tensor after three steps - initial tensor), for every float tensor
metadata: "recipe" (batch, steps, total, size, width) and "M" (overrides, lr, backbone copies: the state-dict prefixes
under which the backbone appears in M).

Run with Debian's Python: /usr/bin/python3 tools/golden/method_step_fixtures.py (deterministic, float32, one thread).
"""
import pathlib
import sys

import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "reference"))
import optim  # noqa: E402
from fixture import Fixture, seeded  # noqa: E402
from methods_siamese import MoCoV3  # noqa: E402
from model_fixtures import VisionTransformer, init_vit  # noqa: E402
from nets import Encoder, mlp, momentum_copy  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402
from ssl_reference import METHODS, Context  # noqa: E402

OUT = HERE.parents[1] / "tests" / "SelfSup.Training.Tests" / "Fixtures"
BATCH, STEPS, TOTAL, SIZE, WIDTH = 8, 4, 10, 16, 4
SMALL = dict(hidden=16, dim=8, queue=16, bn_splits=1)

# Reference prefix -> SelfSup prefix; reference keys matching no rule are aliases of kept ones (an Encoder's backbone
# is also the method's "backbone") and are dropped. BACKBONE_COPIES: where SelfSup's state dict holds a backbone.
RENAMES = {
    "mocov1": [("queue", None), ("query.backbone.", None), ("query.head.", "head."), ("key.", "key."), ("backbone.", "backbone.")],
    "simclr": [("backbone.", "backbone."), ("head.", "head.")],
    "byol": [("online.backbone.", None), ("online.head.", "head."), ("predictor.", "predictor."), ("target.", "target."),
             ("backbone.", "backbone.")],
    "barlowtwins": [("backbone.", "backbone."), ("projector.", "head.")],
    "mocov3": [("base.backbone.", None), ("base.head.", "head."), ("predictor.", "predictor."), ("momentum.", "momentum."),
               ("backbone.", "backbone.")],
    "densecl": [("queue", None), ("dense_queue", None), ("online.", None), ("global_head.", "neck.mlp."),
                ("dense_head.", "neck.mlp2."), ("key.0.", "key.backbone."), ("key.1.", "key.neck.mlp."),
                ("key.2.", "key.neck.mlp2."), ("backbone.", "backbone.")],
}
RENAMES["mocov2"] = RENAMES["mocov1"]
RENAMES["mocov1"] = [("query.head.", "head.0."), ("key.head.", "key.head.0."), *RENAMES["mocov2"]]   # bare Linear head
RENAMES["mocov3-vit"] = RENAMES["mocov3"]
BACKBONE_COPIES = {"mocov1": ["backbone.", "key.backbone."], "mocov2": ["backbone.", "key.backbone."],
                   "simclr": ["backbone."], "byol": ["backbone.", "target.backbone."], "barlowtwins": ["backbone."],
                   "mocov3": ["backbone.", "momentum.backbone."], "densecl": ["backbone.", "key.backbone."],
                   "mocov3-vit": []}
VIT = dict(image=16, patch=4, in_ch=1, dim=24, depth=2, heads=3, hidden=48)


class MoCoV3Vit(MoCoV3):
    """The reference MoCoV3's loss and after-step update with the ViT recipe (official MoCo_ViT: 3-layer projector,
    predictor with last_bn; moco-v3 main_moco.py: AdamW, wd 0.1, lr 1.5e-4 B/256; vits.py: stop-grad patch projection)."""

    def __init__(self):
        torch.nn.Module.__init__(self)
        self.hp = dict(hidden=SMALL["hidden"], dim=SMALL["dim"], tau=0.2, base_momentum=0.99,
                       optimizer=dict(kind="adamw", lr=1.5e-4, scaling="linear", momentum=0.9, wd=0.1, schedule="cosine",
                                      warmup_epochs=10.0, milestones=[]))
        self.backbone = VisionTransformer(**VIT)
        init_vit(self.backbone, seeded("method_steps", "vit"))
        for p in self.backbone.patch_embed.parameters():
            p.requires_grad_(False)
        hidden, dim = self.hp["hidden"], self.hp["dim"]
        projector = mlp([VIT["dim"], hidden, hidden, dim], bn=True, bias=False, last_bn=True, last_bn_affine=False)
        self.base = Encoder(self.backbone, projector)
        self.predictor = mlp([dim, hidden, dim], bn=True, bias=False, last_bn=True, last_bn_affine=False)
        self.momentum = momentum_copy(self.base)
QUEUES = {"mocov1": {"queue": "queue"}, "mocov2": {"queue": "queue"},
          "densecl": {"queue": "queue", "dense_queue": "dense_queue"}}


def ours(name, state):
    """The reference state dict under SelfSup's names (aliases dropped)."""
    out = {}
    for key, value in state.items():
        for prefix, target in RENAMES[name]:
            if key == prefix or key.startswith(prefix):
                if target is not None:
                    out[target + key[len(prefix):]] = value.detach().clone()
                break
        else:
            raise KeyError(f"{name}: no rule for {key}")
    return out


def build(name):
    ctx = Context(WIDTH, 64, 0)
    ctx.overrides = dict(SMALL)
    torch.manual_seed(0)                                              # the backbone is built first: the same in all
    return MoCoV3Vit() if name == "mocov3-vit" else METHODS[name](ctx)


def main():
    torch.set_num_threads(1)
    g = seeded("method_steps")
    views = torch.randn(STEPS, 2, BATCH, 1, SIZE, SIZE, generator=g)
    fx = Fixture("method_steps.safetensors", "three steps of each two-view method from the PyTorch reference")
    fx.add("data.views", views, "(STEPS, 2, B, 1, 16, 16)")
    fx.meta("recipe", dict(batch=BATCH, steps=STEPS, total=TOTAL, size=SIZE, width=WIDTH))
    shared = None
    for name in ["mocov1", "mocov2", "simclr", "byol", "barlowtwins", "mocov3", "densecl", "mocov3-vit"]:
        method = build(name).train()
        initial = ours(name, method.state_dict())
        copies = BACKBONE_COPIES[name]
        backbone = {k: v for k, v in initial.items() if k.startswith("backbone.") and copies}
        if shared is None:
            shared = backbone
            for k, v in backbone.items():
                fx.add(k, v, "initial backbone (every method)")
        assert all(torch.equal(shared[k], v) for k, v in backbone.items()), f"{name}: another initial backbone"
        for k, v in initial.items():
            if not any(k.startswith(c) for c in copies):
                fx.add(f"{name}.init.{k}", v)
        for buffer, ours_name in QUEUES.get(name, {}).items():
            fx.add(f"{name}.extra.{ours_name}", getattr(method, buffer), "initial queue (K, D)")

        recipe = method.hp["optimizer"]
        lr = optim.lr_for(recipe, BATCH)
        opt = optim.build_optimizer(recipe, method.params(), lr)
        losses = []
        for step in range(STEPS):
            loss = method.loss([views[step, 0], views[step, 1]], torch.arange(BATCH))
            losses.append(float(loss))
            if step == STEPS - 1:
                break                                                 # the last loss: forward only
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            method.after_step(step, TOTAL)
        fx.add(f"{name}.losses", torch.tensor(losses), "loss of each step; the last forward only")
        final = ours(name, method.state_dict())
        for k, v in final.items():
            if v.dtype.is_floating_point:
                fx.add(f"{name}.delta.{k}", torch.linalg.vector_norm(v - initial[k]), "L2 norm of the change")
        fx.meta(name, dict(overrides=SMALL, lr=lr, backbone_copies=copies, **({"vit": VIT} if name == "mocov3-vit" else {})))
        print(f"{name}: lr {lr:.4g}, losses {', '.join(f'{x:.5f}' for x in losses)}")

    path = fx.write(OUT)
    back = read_safetensors(path)[0]
    assert all(torch.equal(torch.from_numpy(back[k].copy()), v) for k, v in fx.tensors.items()), "read-back mismatch"
    print(f"{path}: {len(fx.tensors)} tensors")


if __name__ == "__main__":
    main()
