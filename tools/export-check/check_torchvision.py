#!/usr/bin/env python3
"""Checks a `selfsup export` ResNet encoder against torchvision, and optionally its ONNX form.

1. Builds a torchvision ResNet from the export's metadata (architecture, stem, widths, input channels), with fc set
   to Identity, and loads the exported weights with load_state_dict(strict=True).
2. Reads the images named in a `selfsup embed` safetensors file (metadata "filenames", relative to --images),
   applies the export's normalisation (images must already be at the model's size: to-tensor + normalise), runs the
   model in eval mode and compares with the stored embeddings (max abs difference < --tolerance).
3. With --onnx: onnx.checker.check_model(full_check=True), then the same comparison on the ONNX graph as onnx
   parsed it, run with torch ops (and with onnx's reference evaluator where onnx has one; 1.12 has not).

usage: check_torchvision.py --encoder E.safetensors --embeddings X.safetensors --images DIR [--onnx E.onnx]
Run with /usr/bin/python3 (torch + torchvision). Exit status 0 when every check passes.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
from safetensors_io import read_safetensors  # noqa: E402

LAYOUTS = {18: ("BasicBlock", [2, 2, 2, 2]), 34: ("BasicBlock", [3, 4, 6, 3]), 50: ("Bottleneck", [3, 4, 6, 3])}


class WidthResNet(torchvision.models.resnet.ResNet):
    """torchvision's ResNet (its _make_layer, BasicBlock/Bottleneck and forward) with base width `width` and
    `in_ch` input channels; torchvision itself fixes both at 64 and 3."""

    def __init__(self, block, layers, width, in_ch):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = width, 1, 1, 64
        self.conv1 = nn.Conv2d(in_ch, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(block, width, layers[0])
        self.layer2 = self._make_layer(block, width * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(block, width * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(block, width * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Identity()


def build_resnet(meta):
    arch = meta["architecture"]
    if not arch.startswith("resnet"):
        raise SystemExit(f"{arch}: this check covers ResNet exports only")
    depth = int(arch[len("resnet"):])
    block_name, layers = LAYOUTS[depth]
    block = getattr(torchvision.models.resnet, block_name)
    width, in_ch = json.loads(meta["widths"])[0], int(meta["in_channels"])
    if width == 64 and in_ch == 3:
        model = getattr(torchvision.models, arch)()          # the stock model, as a user would build it
        model.fc = nn.Identity()
    else:
        model = WidthResNet(block, layers, width, in_ch)
    if meta["stem"] == "cifar":                              # conv1 3x3 stride 1 padding 1, no maxpool
        model.conv1 = nn.Conv2d(in_ch, width, 3, 1, 1, bias=False)
        model.maxpool = nn.Identity()
    return model


def load_images(root, names, meta):
    size, channels = int(meta["image_size"]), int(meta["in_channels"])
    mean = np.array(json.loads(meta["mean"]), dtype=np.float32).reshape(-1, 1, 1)
    std = np.array(json.loads(meta["std"]), dtype=np.float32).reshape(-1, 1, 1)
    batch = []
    for name in names:
        img = Image.open(os.path.join(root, name)).convert("L" if channels == 1 else "RGB")
        if img.size != (size, size):
            raise SystemExit(f"{name}: {img.size} is not the model's {size}x{size} (this check does no resizing)")
        x = np.asarray(img, dtype=np.float32).reshape(size, size, channels).transpose(2, 0, 1) / 255.0
        batch.append((x - mean) / std)
    return np.stack(batch).astype(np.float32)


def compare(what, features, expected, normalized, tolerance):
    if normalized:
        features = F.normalize(torch.from_numpy(features), dim=1).numpy()
    if features.shape != expected.shape:
        raise SystemExit(f"{what}: features {features.shape}, embeddings {expected.shape}")
    diff = float(np.abs(features - expected).max())
    print(f"{what}: {expected.shape[0]} images, {expected.shape[1]} dims, max abs diff {diff:.3g}")
    if not diff < tolerance:
        raise SystemExit(f"{what}: max abs diff {diff} is not below {tolerance}")


def check_onnx(path, inputs, expected, normalized, tolerance):
    import onnx
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    ops = sorted({n.op_type for n in model.graph.node})
    print(f"onnx {onnx.__version__}: check_model passed (ir_version {model.ir_version}, "
          f"opset {model.opset_import[0].version}, ops {', '.join(ops)})")
    try:
        from onnx.reference import ReferenceEvaluator
        (features,) = ReferenceEvaluator(model).run(None, {"input": inputs})
        compare("onnx reference evaluator", np.asarray(features, dtype=np.float32), expected, normalized, tolerance)
    except ImportError:
        print(f"onnx {onnx.__version__} has no reference evaluator: the graph as onnx parsed it, run with torch ops")
    compare("onnx graph (torch ops)", run_with_torch(model, inputs), expected, normalized, tolerance)


def run_with_torch(model, inputs):
    """Evaluates the ONNX graph as onnx parsed it (nodes, attributes, initializers) with torch.nn.functional."""
    from onnx import helper, numpy_helper
    values = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    values[model.graph.input[0].name] = torch.from_numpy(inputs)
    for node in model.graph.node:
        a = {attr.name: helper.get_attribute_value(attr) for attr in node.attribute}
        x = values[node.input[0]]
        if node.op_type == "Conv":
            pads = list(a.get("pads", [0, 0, 0, 0]))
            if pads[:2] != pads[2:]:
                raise SystemExit(f"{node.name}: asymmetric pads {pads}")
            y = F.conv2d(x, values[node.input[1]], values[node.input[2]] if len(node.input) > 2 else None,
                         stride=list(a.get("strides", [1, 1])), padding=pads[:2], groups=a.get("group", 1))
        elif node.op_type == "Relu":
            y = F.relu(x)
        elif node.op_type == "Add":
            y = x + values[node.input[1]]
        elif node.op_type == "MaxPool":
            y = F.max_pool2d(x, list(a["kernel_shape"]), list(a["strides"]), list(a.get("pads", [0, 0, 0, 0]))[:2])
        elif node.op_type == "GlobalAveragePool":
            y = x.mean(dim=(2, 3), keepdim=True)
        elif node.op_type == "Flatten":
            y = torch.flatten(x, a.get("axis", 1))
        else:
            raise SystemExit(f"{node.name}: op {node.op_type} is not one a ResNet export uses")
        values[node.output[0]] = y
    return values[model.graph.output[0].name].numpy()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--encoder", required=True)
    p.add_argument("--embeddings", required=True)
    p.add_argument("--images", required=True, help="the split's root folder the embedded file names are relative to")
    p.add_argument("--onnx")
    p.add_argument("--tolerance", type=float, default=1e-3)
    args = p.parse_args()

    weights, meta = read_safetensors(args.encoder)
    model = build_resnet(meta)
    state = {k: torch.from_numpy(v.copy()) for k, v in weights.items()}
    model.load_state_dict(state, strict=True)
    model.eval()
    print(f"torchvision {torchvision.__version__}: {meta['architecture']} ({meta['stem']} stem, widths {meta['widths']}) "
          f"loaded {len(state)} tensors with strict=True")

    stored, emb_meta = read_safetensors(args.embeddings)
    names = json.loads(emb_meta["filenames"])
    inputs = load_images(args.images, names, meta)
    with torch.no_grad():
        features = model(torch.from_numpy(inputs)).numpy()
    normalized = emb_meta.get("normalized") == "true"
    compare("torchvision", features, stored["embeddings"], normalized, args.tolerance)

    if args.onnx:
        check_onnx(args.onnx, inputs, stored["embeddings"], normalized, args.tolerance)
    print("OK")


if __name__ == "__main__":
    main()
