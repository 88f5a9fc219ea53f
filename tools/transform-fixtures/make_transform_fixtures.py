#!/usr/bin/python3
"""Writes the transform test fixtures: torchvision's output for fixed inputs and fixed random parameters.

Run with Debian's python3 (python3-torch 1.13, python3-torchvision 0.14; the pyenv python3 on PATH has no torch):

    /usr/bin/python3 tools/transform-fixtures/make_transform_fixtures.py

Writes tests/SelfSup.Vision.Tests/Fixtures/transforms/transforms.safetensors, one file holding for every case NAME:
    input.N      F32 (C, H, W)  an 8-bit image divided by 255 (ToTensor), so the C# side can rebuild the RawImage
    NAME.params  F32 (k,)       the parameters given to torchvision (layout per op below, mirrored in the C# test)
    NAME.output  F32 (C, H', W') torchvision.transforms.functional's result on the float tensor
and in the metadata __metadata__["NAME"] = "OP N" (the op and which input; inputs are shared between cases). Every factor is rounded to float32 before use so both
sides see the same value. Ops and their params:
    resized_crop      top, left, height, width, out_h, out_w, bicubic(0/1)   (antialias=True)
    resize            size (shorter side), bicubic(0/1)                      (antialias=True)
    center_crop       size
    brightness | contrast | saturation | hue | solarize    factor (threshold for solarize)
    grayscale         -                                  (rgb_to_grayscale keeping the channel count)
    hflip             -
    blur              kernel, sigma
    normalize         mean..., std...
    jitter            order0..3 (fn_idx), brightness, contrast, saturation, hue   (ColorJitter.forward's loop)
    mocov2_32         crop top, left, h, w, jitter?(0/1), order0..3, b, c, s, h, gray?(0/1), blur?(0/1), sigma, flip?(0/1)
"""
import json, os, struct
import numpy as np
import torch
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "tests", "SelfSup.Vision.Tests", "Fixtures", "transforms", "transforms.safetensors")
rng = np.random.default_rng(20240611)
tensors, meta = {}, {}
CIFAR_MEAN, CIFAR_STD = [0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]


def f32(x):
    return float(np.float32(x))


def image(c, h, w, smooth=True):
    """An 8-bit image (smooth gradients + noise, or pure noise) as ToTensor gives it: (C, H, W) in [0, 1]."""
    if smooth:
        y, x = np.mgrid[0:h, 0:w]
        base = np.stack([128 + 100 * np.sin(0.3 * x + 0.2 * y + k) for k in range(c)])
        px = np.clip(base + rng.normal(0, 25, (c, h, w)), 0, 255).astype(np.uint8)
    else:
        px = rng.integers(0, 256, (c, h, w), dtype=np.uint8)
    return torch.from_numpy(px).float().div(255)


def hue_image():
    """Colours that exercise every branch of _rgb2hsv/_hsv2rgb: greys (max = min), ties, primaries, random."""
    special = [(0, 0, 0), (255, 255, 255), (77, 77, 77), (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0),
               (0, 255, 255), (255, 0, 255), (200, 200, 10), (10, 200, 200), (200, 10, 200), (1, 0, 0), (128, 127, 128)]
    rand = [tuple(int(v) for v in rng.integers(0, 256, 3)) for _ in range(12 * 10 - len(special))]
    px = np.array(special + rand, dtype=np.uint8).reshape(12, 10, 3).transpose(2, 0, 1).copy()
    return torch.from_numpy(px).float().div(255)


inputs = []


def case(name, op, x, params, y):
    x = x.contiguous()
    n = next((i for i, t in enumerate(inputs) if t.shape == x.shape and torch.equal(t, x)), None)
    if n is None:
        n = len(inputs); inputs.append(x); tensors[f"input.{n}"] = x
    tensors[name + ".params"] = torch.tensor([float(p) for p in params] or [0.0], dtype=torch.float32)
    tensors[name + ".output"] = y.contiguous().float()
    meta[name] = f"{op} {n}"


def resized_crop(name, x, box, out, bicubic):
    mode = InterpolationMode.BICUBIC if bicubic else InterpolationMode.BILINEAR
    y = F.resized_crop(x, *box, list(out), interpolation=mode, antialias=True)
    case(name, "resized_crop", x, [*box, *out, int(bicubic)], y)


def jitter(img, order, b, c, s, h):
    for fn in order:
        if fn == 0 and b is not None: img = F.adjust_brightness(img, b)
        elif fn == 1 and c is not None: img = F.adjust_contrast(img, c)
        elif fn == 2 and s is not None: img = F.adjust_saturation(img, s)
        elif fn == 3 and h is not None: img = F.adjust_hue(img, h)
    return img


rgb = image(3, 40, 50)
resized_crop("crop_bilinear_down", rgb, (3, 5, 31, 37), (16, 16), False)
resized_crop("crop_bicubic_down", rgb, (3, 5, 31, 37), (20, 12), True)
resized_crop("crop_bilinear_up", rgb, (2, 3, 7, 9), (32, 32), False)
resized_crop("crop_bicubic_up", rgb, (2, 3, 7, 9), (32, 32), True)
resized_crop("crop_bilinear_mixed", rgb, (0, 0, 40, 17), (32, 32), False)
resized_crop("crop_bilinear_same_width", rgb, (10, 0, 30, 32), (32, 32), False)
resized_crop("crop_bilinear_whole", rgb, (0, 0, 40, 50), (40, 50), False)
resized_crop("crop_big_downscale", image(3, 96, 80, smooth=False), (1, 2, 90, 77), (9, 11), False)
gray28 = image(1, 28, 28)
resized_crop("crop_gray_bilinear", gray28, (4, 2, 19, 23), (28, 28), False)
resized_crop("crop_gray_bicubic", gray28, (4, 2, 19, 23), (28, 28), True)

wide = image(3, 30, 45)
case("resize_bilinear", "resize", wide, [20, 0], F.resize(wide, 20, antialias=True))
case("resize_bicubic_tall", "resize", wide.transpose(1, 2), [21, 1],
     F.resize(wide.transpose(1, 2).contiguous(), 21, interpolation=InterpolationMode.BICUBIC, antialias=True))
case("center_crop", "center_crop", wide, [16], F.center_crop(wide, 16))
case("center_crop_odd", "center_crop", wide, [25], F.center_crop(wide, 25))
small = image(3, 10, 13)
case("center_crop_pad", "center_crop", small, [12], F.center_crop(small, 12))

noise = image(3, 17, 19, smooth=False)
for f in (1.3, 0.6):
    case(f"brightness_{f}", "brightness", noise, [f32(f)], F.adjust_brightness(noise, f32(f)))
for f in (0.7, 1.4):
    case(f"contrast_{f}", "contrast", noise, [f32(f)], F.adjust_contrast(noise, f32(f)))
    case(f"contrast_gray_{f}", "contrast", gray28, [f32(f)], F.adjust_contrast(gray28, f32(f)))
for f in (0.5, 1.6, 0.0):
    case(f"saturation_{f}", "saturation", noise, [f32(f)], F.adjust_saturation(noise, f32(f)))
hues = hue_image()
for f in (0.1, -0.25, 0.5, -0.5, 0.0, 0.0371):
    case(f"hue_{f}", "hue", hues, [f32(f)], F.adjust_hue(hues, f32(f)))
case("grayscale", "grayscale", noise, [], F.rgb_to_grayscale(noise, num_output_channels=3))
case("hflip", "hflip", noise, [], F.hflip(noise))
case("solarize", "solarize", noise, [0.5], F.solarize(noise, 0.5))
blur_in = image(3, 32, 30)
for k, s in ((3, 0.7), (3, 0.1), (5, 1.5), (9, 2.0), (23, 2.0), (23, 0.45)):
    case(f"blur_k{k}_s{s}", "blur", blur_in, [k, f32(s)], F.gaussian_blur(blur_in, [k, k], [f32(s), f32(s)]))
case("blur_gray", "blur", gray28, [3, f32(1.1)], F.gaussian_blur(gray28, [3, 3], [f32(1.1), f32(1.1)]))
case("normalize_cifar", "normalize", noise, CIFAR_MEAN + CIFAR_STD, F.normalize(noise, CIFAR_MEAN, CIFAR_STD))

for i, (order, b, c, s, h) in enumerate([([3, 1, 0, 2], 1.21, 0.83, 1.37, -0.071),
                                         ([0, 2, 3, 1], 0.62, 1.4, 0.6, 0.099),
                                         ([2, 3, 1, 0], 1.0, 1.0, 0.0, 0.5)]):
    b, c, s, h = map(f32, (b, c, s, h))
    case(f"jitter_{i}", "jitter", hues, order + [b, c, s, h], jitter(hues, order, b, c, s, h))
case("jitter_gray", "jitter", gray28, [1, 3, 2, 0, f32(1.3), f32(0.7), f32(1.5), f32(0.2)],
     jitter(gray28, [1, 3, 2, 0], f32(1.3), f32(0.7), f32(1.5), f32(0.2)))

# The whole MoCo v2 32-px view with fixed draws, as torchvision's Compose runs it on a float tensor.
cifar = image(3, 32, 32, smooth=False)
for i, (box, jit, order, fac, gray, blur, sigma, flip) in enumerate([
        ((3, 4, 21, 18), 1, [2, 0, 3, 1], (1.2, 0.75, 1.33, 0.05), 0, 1, 1.3, 1),
        ((0, 0, 32, 32), 0, [0, 1, 2, 3], (1.0, 1.0, 1.0, 0.0), 1, 0, 0.5, 0),
        ((7, 1, 15, 24), 1, [3, 2, 1, 0], (0.61, 1.39, 0.7, -0.1), 1, 1, 0.11, 1)]):
    fac = tuple(map(f32, fac)); sigma = f32(sigma)
    y = F.resized_crop(cifar, *box, [32, 32], antialias=True)
    if jit: y = jitter(y, order, *fac)
    if gray: y = F.rgb_to_grayscale(y, num_output_channels=3)
    if blur: y = F.gaussian_blur(y, [3, 3], [sigma, sigma])
    if flip: y = F.hflip(y)
    y = F.normalize(y, CIFAR_MEAN, CIFAR_STD)
    case(f"mocov2_32_{i}", "mocov2_32", cifar, [*box, jit, *order, *fac, gray, blur, sigma, flip], y)


def save(path, named, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in named.items():
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data); offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(head))); fh.write(head)
        for b in blobs: fh.write(b)


os.makedirs(os.path.dirname(OUT), exist_ok=True)
save(OUT, tensors, meta)
print(f"wrote {len(meta)} cases to {os.path.relpath(OUT)}")
