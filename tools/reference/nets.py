"""The networks of the reference runs: ResNet-18 with the CIFAR stem at a chosen base width (SelfSup.Engine ResNet:
torchvision's layout and init), optional split batch norm (SelfSup.Methods SplitBatchNorm: G consecutive groups, each
normalised with its own statistics, running statistics the mean of the G updates), and the MLP heads (Nn.Mlp)."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


def mm(a, b):
    """a (n, k) @ b (k, m) as a 1x1 convolution: Debian's torch 1.13 has a generic (reference) BLAS, so torch.mm and
    nn.Linear run ~5x slower than oneDNN's convolutions, forward and backward. Autograd flows to both operands."""
    return F.conv2d(a[:, :, None, None], b.t()[:, :, None, None]).flatten(1)


class Linear(nn.Linear):
    """nn.Linear (same parameters, init and state-dict keys) computed as a 1x1 convolution, see mm()."""

    def forward(self, x):
        return F.conv2d(x[:, :, None, None], self.weight[:, :, None, None], self.bias).flatten(1)


class SplitBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d that, in training with splits > 1, normalises consecutive groups of N/G samples separately; each
    group's running-stat update starts from the same values and the G results are averaged (as the MoCo CIFAR demo and
    SelfSup's SplitBatchNorm, which uses consecutive groups)."""

    def __init__(self, num_features, splits=1):
        super().__init__(num_features)
        self.splits = splits

    def forward(self, x):
        g = self.splits
        if g <= 1 or not self.training:
            return super().forward(x)
        n, c, h, w = x.shape
        if n % g:
            raise ValueError(f"batch {n} is not divisible into {g} BN splits")
        grouped = x.view(g, n // g, c, h, w).transpose(0, 1).reshape(n // g, g * c, h, w)      # group j -> channels j*C..
        rm, rv = self.running_mean.repeat(g), self.running_var.repeat(g)
        self.num_batches_tracked.add_(1)
        y = F.batch_norm(grouped, rm, rv, self.weight.repeat(g), self.bias.repeat(g), True, self.momentum, self.eps)
        self.running_mean.copy_(rm.view(g, c).mean(0))
        self.running_var.copy_(rv.view(g, c).mean(0))
        return y.view(n // g, g, c, h, w).transpose(0, 1).reshape(n, c, h, w)


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride, splits):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = SplitBatchNorm2d(planes, splits)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = SplitBatchNorm2d(planes, splits)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), SplitBatchNorm2d(planes, splits))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    """ResNet-18, CIFAR stem (3x3 stride-1 conv1, no max-pool), widths w, 2w, 4w, 8w; forward gives pooled features
    (N, 8w) (fc = Identity), features() the last feature map (N, 8w, h, w). Kaiming-normal (fan_out) convs."""

    def __init__(self, width=16, in_channels=1, bn_splits=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        self.bn1 = SplitBatchNorm2d(width, bn_splits)
        inplanes, stages = width, []
        for i, planes in enumerate((width, 2 * width, 4 * width, 8 * width)):
            blocks = [BasicBlock(inplanes, planes, 1 if i == 0 else 2, bn_splits), BasicBlock(planes, planes, 1, bn_splits)]
            stages.append(nn.Sequential(*blocks))
            inplanes = planes
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.feature_dim = 8 * width
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def features(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return self.layer4(self.layer3(self.layer2(self.layer1(y))))

    def forward(self, x):
        return torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1)


def mlp(dims, bn=True, bias=True, last_bn=False, last_bn_affine=True):
    """Nn.Mlp: Linear -> [BN1d] -> ReLU per hidden layer, then Linear [-> BN1d]; torch's default Linear init."""
    layers = []
    for i in range(len(dims) - 1):
        last = i == len(dims) - 2
        layers.append(Linear(dims[i], dims[i + 1], bias=bias))
        if not last:
            if bn:
                layers.append(nn.BatchNorm1d(dims[i + 1]))
            layers.append(nn.ReLU(inplace=True))
        elif last_bn:
            layers.append(nn.BatchNorm1d(dims[i + 1], affine=last_bn_affine))
    return nn.Sequential(*layers)


class Encoder(nn.Module):
    """head(backbone(x))."""

    def __init__(self, backbone, head):
        super().__init__()
        self.backbone, self.head = backbone, head

    def forward(self, x):
        return self.head(self.backbone(x))


def momentum_copy(module):
    """A frozen copy (parameters and buffers) of `module`: MomentumEncoder.InitialiseCopy."""
    copy_ = copy.deepcopy(module)
    for p in copy_.parameters():
        p.requires_grad_(False)
    return copy_


@torch.no_grad()
def momentum_update(online, target, m):
    """theta_target <- m theta_target + (1 - m) theta_online, parameters only (BN buffers stay the target's own)."""
    for q, k in zip(online.parameters(), target.parameters()):
        k.mul_(m).add_(q.detach(), alpha=1 - m)


def cosine_momentum(base, step, total):
    """CosineMomentum: 1 - (1 - base)(cos(pi k / K) + 1) / 2, k clamped to [0, K]."""
    import math
    k = min(max(step, 0), total)
    return 1 - (1 - base) * (math.cos(math.pi * k / total) + 1) / 2


@torch.no_grad()
def shuffled_forward(fn, x, gen):
    """Shuffling BN: fn(x[perm]) unshuffled, so row i is sample i's output (fn may return a tuple)."""
    perm = torch.randperm(x.shape[0], generator=gen)
    inverse = torch.argsort(perm)
    out = fn(x[perm])
    return tuple(o[inverse] for o in out) if isinstance(out, tuple) else out[inverse]
