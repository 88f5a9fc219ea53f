"""Golden values for whole backbones: ResNet-18 (CIFAR stem, width 16) and a depth-2 ViT-Tiny (MoCo v3 style)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

from fixture import Fixture, seeded


# ---------------------------------------------------------------- ResNet-18, CIFAR stem, base width 16

def resnet18_width(width, in_ch, num_classes=10):
    """torchvision ResNet-18 layout with base width `width` (64 = standard), CIFAR stem
    (conv1 3x3 stride 1 pad 1, no bias; maxpool = Identity). Same construction as
    shared/peer/torch_reference.py (whose constructor skips torchvision's init loop; the
    fixture applies it separately, see torchvision_resnet_init)."""
    block = torchvision.models.resnet.BasicBlock

    class CifarResNet(torchvision.models.resnet.ResNet):
        def __init__(self):
            nn.Module.__init__(self)
            self._norm_layer = nn.BatchNorm2d
            self.inplanes, self.dilation, self.groups, self.base_width = width, 1, 1, 64
            self.conv1 = nn.Conv2d(in_ch, width, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(width)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.Identity()
            self.layer1 = self._make_layer(block, width, 2)
            self.layer2 = self._make_layer(block, width * 2, 2, stride=2)
            self.layer3 = self._make_layer(block, width * 4, 2, stride=2)
            self.layer4 = self._make_layer(block, width * 8, 2, stride=2)
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(width * 8, num_classes)

    return CifarResNet()


def torchvision_resnet_init(model):
    """What torchvision's ResNet constructor does: conv weights kaiming-normal (fan_out, relu), BN 1/0;
    fc keeps nn.Linear's default init."""
    for mod in model.modules():
        if isinstance(mod, nn.Conv2d):
            nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(mod, nn.BatchNorm2d):
            nn.init.constant_(mod.weight, 1)
            nn.init.constant_(mod.bias, 0)


def resnet_features(m, x):
    """Everything before fc: the pooled, flattened (N, 8*width) features."""
    x = m.maxpool(m.relu(m.bn1(m.conv1(x))))
    x = m.layer4(m.layer3(m.layer2(m.layer1(x))))
    return torch.flatten(m.avgpool(x), 1)


TRACKED_BN = ["bn1", "layer2.0.downsample.1", "layer4.1.bn2"]
GRAD_PARAMS = ["conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight", "layer3.0.downsample.0.weight",
               "layer4.1.bn2.weight", "layer4.1.bn2.bias", "fc.weight", "fc.bias"]


def resnet18_cifar_w16():
    fx = Fixture("resnet18_cifar_w16.safetensors", "ResNet-18, CIFAR stem, widths 16-32-64-128, 10 classes")
    torch.manual_seed(0)
    model = resnet18_width(16, 3)
    torchvision_resnet_init(model)
    g = seeded("resnet18", "bn-affine")
    with torch.no_grad():  # non-trivial BN affine parameters, so a weight/bias mix-up cannot pass
        for mod in model.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.weight.copy_(1 + 0.2 * torch.randn(mod.weight.shape, generator=g))
                mod.bias.copy_(0.2 * torch.randn(mod.bias.shape, generator=g))
        model.train()
        model(torch.randn((8, 3, 32, 32), generator=seeded("resnet18", "warmup-batch")))  # running stats, count 1
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    fx.add_state_dict(state)

    x = torch.randn((2, 3, 32, 32), generator=seeded("resnet18", "input"))
    fx.add("input", x)
    model.eval()
    with torch.no_grad():
        features = resnet_features(model, x)
        logits = model.fc(features)
        assert torch.equal(logits, model(x))
    fx.add("features", features)
    fx.add("logits", logits)

    fresh = resnet18_width(16, 3)
    fresh.load_state_dict(state, strict=True)
    fresh.train()
    xg = x.clone().requires_grad_(True)
    train_logits = fresh(xg)  # batch statistics; updates running stats (momentum 0.1, unbiased var)
    w = torch.randn(train_logits.shape, generator=seeded("resnet18", "train-w"))
    params = dict(fresh.named_parameters())
    grads = torch.autograd.grad((train_logits * w).sum(), [xg] + [params[n] for n in GRAD_PARAMS])
    fx.add("train_logits", train_logits)
    fresh_state = fresh.state_dict()
    for bn in TRACKED_BN:
        for buf in ["running_mean", "running_var", "num_batches_tracked"]:
            fx.add(f"after_train.{bn}.{buf}", fresh_state[f"{bn}.{buf}"])
    fx.add("train_w", w)
    fx.add("train_grad.input", grads[0])
    for n, gr in zip(GRAD_PARAMS, grads[1:]):
        fx.add(f"train_grad.{n}", gr)
    fx.meta("architecture", {"arch": "resnet18", "stem": "cifar", "widths": [16, 32, 64, 128], "in_channels": 3,
                             "num_classes": 10, "bn_eps": 1e-5, "bn_momentum": 0.1})
    return fx


# ---------------------------------------------------------------- ViT-Tiny, depth 2 (MoCo v3 / timm names)

def sincos_pos_embed_2d(grid, dim, temperature=10000.0):
    """MoCo v3's build_2d_sincos_position_embedding, with the zero row for the cls token prepended: (1, 1+g*g, dim)."""
    grid_w = torch.arange(grid, dtype=torch.float32)
    grid_h = torch.arange(grid, dtype=torch.float32)
    grid_w, grid_h = torch.meshgrid(grid_w, grid_h, indexing="ij")
    pos_dim = dim // 4
    omega = torch.arange(pos_dim, dtype=torch.float32) / pos_dim
    omega = 1.0 / (temperature ** omega)
    out_w = torch.einsum("m,d->md", grid_w.flatten(), omega)
    out_h = torch.einsum("m,d->md", grid_h.flatten(), omega)
    emb = torch.cat([torch.sin(out_w), torch.cos(out_w), torch.sin(out_h), torch.cos(out_h)], dim=1)[None]
    return torch.cat([torch.zeros(1, 1, dim), emb], dim=1)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, D = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]                                   # (B, H, N, D/H)
        attn = (q @ k.transpose(-2, -1)) * (D // self.heads) ** -0.5
        x = attn.softmax(dim=-1) @ v                                        # (B, H, N, D/H)
        return self.proj(x.transpose(1, 2).reshape(B, N, D))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, hidden)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, in_ch, dim, patch):
        super().__init__()
        self.proj = nn.Conv2d(in_ch, dim, kernel_size=patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)                      # (B, N, D), row-major patches


class VisionTransformer(nn.Module):
    def __init__(self, image=32, patch=4, in_ch=3, dim=192, depth=2, heads=3, hidden=768):
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(sincos_pos_embed_2d(image // patch, dim), requires_grad=False)
        self.patch_embed = PatchEmbed(in_ch, dim, patch)
        self.blocks = nn.ModuleList([Block(dim, heads, hidden) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def embed(self, x):
        x = self.patch_embed(x)
        return torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed

    def forward(self, x):
        x = self.embed(x)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)[:, 0]


def init_vit(model, g):
    """MoCo v3 vits.py weight init (qkv: uniform with the per-q/k/v fan; other linears: xavier uniform;
    patch proj: xavier uniform over its flattened fan) but with non-zero biases and perturbed LayerNorms,
    and cls_token ~ N(0, 0.02), so every stored tensor influences the output."""
    def uniform_(t, bound):
        t.copy_((torch.rand(t.shape, generator=g) * 2 - 1) * bound)

    with torch.no_grad():
        for name, mod in model.named_modules():
            if isinstance(mod, nn.Linear):
                fan_out = mod.weight.shape[0] // 3 if name.endswith("qkv") else mod.weight.shape[0]
                uniform_(mod.weight, math.sqrt(6.0 / (fan_out + mod.weight.shape[1])))
                mod.bias.copy_(0.02 * torch.randn(mod.bias.shape, generator=g))
            elif isinstance(mod, nn.LayerNorm):
                mod.weight.copy_(1 + 0.1 * torch.randn(mod.weight.shape, generator=g))
                mod.bias.copy_(0.1 * torch.randn(mod.bias.shape, generator=g))
            elif isinstance(mod, nn.Conv2d):
                w = mod.weight
                uniform_(w, math.sqrt(6.0 / (w.shape[1] * w.shape[2] * w.shape[3] + w.shape[0])))
                mod.bias.copy_(0.02 * torch.randn(mod.bias.shape, generator=g))
        model.cls_token.copy_(0.02 * torch.randn(model.cls_token.shape, generator=g))


VIT_GRAD_PARAMS = ["cls_token", "patch_embed.proj.bias", "blocks.0.norm1.weight", "blocks.0.attn.qkv.bias",
                   "blocks.0.attn.proj.bias", "blocks.1.mlp.fc2.bias", "norm.weight", "norm.bias"]


def vit_tiny_d2():
    fx = Fixture("vit_tiny_d2.safetensors", "ViT-Tiny (D 192, 3 heads, MLP 768), depth 2, patch 4 on 32x32")
    model = VisionTransformer()
    init_vit(model, seeded("vit", "init"))
    fx.add_state_dict(model.state_dict())
    x = torch.randn((2, 3, 32, 32), generator=seeded("vit", "input"))
    fx.add("input", x)
    xg = x.clone().requires_grad_(True)
    embedded = model.embed(xg)
    block0 = model.blocks[0](embedded)
    cls = model.norm(model.blocks[1](block0))[:, 0]
    assert torch.allclose(cls, model(x), atol=0, rtol=0)
    fx.add("embed_out", embedded)
    fx.add("block0_out", block0)
    fx.add("cls_features", cls)
    w = torch.randn(cls.shape, generator=seeded("vit", "w"))
    params = dict(model.named_parameters())
    grads = torch.autograd.grad((cls * w).sum(), [xg] + [params[n] for n in VIT_GRAD_PARAMS])
    fx.add("grad_w", w)
    fx.add("grad.input", grads[0])
    for n, gr in zip(VIT_GRAD_PARAMS, grads[1:]):
        fx.add(f"grad.{n}", gr)
    fx.meta("architecture", {"arch": "vit", "image_size": 32, "patch_size": 4, "in_channels": 3, "dim": 192,
                             "depth": 2, "heads": 3, "mlp_hidden": 768, "ln_eps": 1e-6, "gelu": "exact",
                             "pos_embed": "2d-sincos (MoCo v3), zero cls row", "output": "norm(x)[:, 0]"})
    return fx
