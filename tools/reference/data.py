"""Fashion-MNIST from Debian's IDX files, the per-method 28-px views (mirroring SelfSup.Vision Presets.For at small sizes
for one-channel images) and the epoch loader (a seeded permutation per epoch, whole batches only, as MultiViewLoader)."""
import gzip
import os
import struct

import numpy as np
import torch
import torchvision.transforms as T
from torchvision.transforms import InterpolationMode

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
MEAN, STD = (0.2860,), (0.3530,)          # Normalize.FashionMnist


def read_idx(path):
    """An IDX file (raw or .gz) as a numpy array of its dimensions."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        zero, dtype, rank = struct.unpack(">HBB", f.read(4))
        if zero != 0 or dtype != 0x08:
            raise ValueError(f"{path}: not an unsigned-byte IDX file")
        dims = struct.unpack(">" + "I" * rank, f.read(4 * rank))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def _find(directory, split, kind, rank):
    for sep in ("-", "."):
        for ext in ("", ".gz"):
            path = os.path.join(directory, f"{split}-{kind}{sep}idx{rank}-ubyte{ext}")
            if os.path.exists(path):
                return path
    raise FileNotFoundError(f"no {split}-{kind}-idx{rank}-ubyte[.gz] in {directory}")


def load_split(split, directory=FASHION_MNIST):
    """(images (N, 1, 28, 28) float in [0, 1] as ToTensor gives, labels (N) int64) of 'train' or 't10k'."""
    images = read_idx(_find(directory, split, "images", 3))
    labels = read_idx(_find(directory, split, "labels", 1))
    x = torch.from_numpy(images.copy()).unsqueeze(1).float().div_(255.0)
    return x, torch.from_numpy(labels.astype(np.int64))


def normalize_batch(x):
    """The eval view at 28 px: Resize(28) and CenterCrop(28) are identities, so only Normalize: (N, 1, H, W)."""
    return (x - MEAN[0]) / STD[0]


# ---- the training views (Presets.cs, small size, one channel: jitter is brightness + contrast only, no grayscale,
# ---- no blur at <= 64 px) ----------------------------------------------------------------------------------------

def _rrc(scale=(0.08, 1.0), bicubic=False):
    mode = InterpolationMode.BICUBIC if bicubic else InterpolationMode.BILINEAR
    return T.RandomResizedCrop(28, scale=scale, interpolation=mode, antialias=True)


def _jitter(b, c, p=None):
    j = T.ColorJitter(brightness=b, contrast=c)
    return j if p is None else T.RandomApply([j], p=p)


def _norm():
    return T.Normalize(MEAN, STD)


def views_for(method):
    """The list of per-view transforms (each: (1, 28, 28) float tensor -> normalised view) of Presets.For(method, 28, 1)."""
    flip = lambda: T.RandomHorizontalFlip(0.5)
    if method == "instdisc":                       # crop 0.2-1, jitter(0.4, 0.4) always, flip; one view
        return [T.Compose([_rrc((0.2, 1.0)), _jitter(0.4, 0.4), flip(), _norm()])]
    if method in ("mocov1", "mocov2", "densecl"):  # MoCo CIFAR demo: crop 0.08-1, jitter p 0.8, flip
        v = T.Compose([_rrc(), _jitter(0.4, 0.4, p=0.8), flip(), _norm()])
        return [v, v]
    if method == "simclr":                         # strength 0.5: jitter(0.4, 0.4) p 0.8; flip before jitter
        v = T.Compose([_rrc(), flip(), _jitter(0.4, 0.4, p=0.8), _norm()])
        return [v, v]
    if method in ("byol", "barlowtwins", "mocov3"):   # Asymmetric: solarize p 0 / 0.2; flip first except MoCo v3
        flip_first, bicubic = method != "mocov3", method == "barlowtwins"
        out = []
        for solarize_p in (0.0, 0.2):
            steps = [_rrc(bicubic=bicubic)]
            if flip_first:
                steps.append(flip())
            steps.append(_jitter(0.4, 0.4, p=0.8))
            if solarize_p > 0:
                steps.append(T.RandomSolarize(0.5, p=solarize_p))
            if not flip_first:
                steps.append(flip())
            steps.append(_norm())
            out.append(T.Compose(steps))
        return out
    raise ValueError(f"no views for method '{method}'")


class ViewDataset(torch.utils.data.Dataset):
    """Item i: (view_1(x_i), ..., view_V(x_i), i)."""

    def __init__(self, images, views):
        self.images, self.views = images, views

    def __len__(self):
        return self.images.shape[0]

    def __getitem__(self, i):
        x = self.images[i]
        return tuple(v(x) for v in self.views) + (i,)


def _worker_init(_):
    torch.set_num_threads(1)


def epoch_batches(images, views, batch_size, seed, epoch, workers):
    """Yields (list of V view batches (B, 1, 28, 28), indices (B)) for one epoch: a permutation seeded by (seed, epoch),
    whole batches only (drop-last). Augmentation runs in `workers` processes (0 = in this process)."""
    g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    order = torch.randperm(images.shape[0], generator=g).tolist()
    n_batches = len(order) // batch_size
    batches = [order[b * batch_size:(b + 1) * batch_size] for b in range(n_batches)]
    loader = torch.utils.data.DataLoader(ViewDataset(images, views), batch_sampler=batches, num_workers=workers,
                                         worker_init_fn=_worker_init if workers > 0 else None, generator=g,
                                         prefetch_factor=4 if workers > 0 else 2)
    for item in loader:
        yield list(item[:-1]), item[-1]
