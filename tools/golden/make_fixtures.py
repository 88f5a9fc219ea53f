#!/usr/bin/python3
"""Writes the PyTorch golden-value fixtures for the SelfSup engine tests.

    /usr/bin/python3 tools/golden/make_fixtures.py

Output: tests/SelfSup.Engine.Tests/Fixtures/*.safetensors, and the generated tables in
tools/golden/README.md (between the `generated:begin` / `generated:end` markers).
Deterministic (fixed seeds, one thread, float32); needs torch and torchvision, not `safetensors`.
"""
import hashlib
import pathlib
import sys

import numpy as np
import torch

torch.set_num_threads(1)
torch.set_num_interop_threads(1)
torch.use_deterministic_algorithms(True)
torch.set_default_dtype(torch.float32)

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from doc_checks import CHECKS  # noqa: E402
from model_fixtures import VisionTransformer, resnet18_cifar_w16, resnet18_width, vit_tiny_d2  # noqa: E402
from op_fixtures import all_op_families  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402
from train_fixtures import optim_steps, small_cnn, train_adamw_cnn, train_sgd_cnn  # noqa: E402

OUT = HERE.parent.parent / "tests" / "SelfSup.Engine.Tests" / "Fixtures"
README = HERE / "README.md"
BEGIN, END = "<!-- generated:begin -->", "<!-- generated:end -->"


def self_check(fx, path):
    """Round trip: the file read back with our own reader equals what was written, bit for bit."""
    tensors, metadata = read_safetensors(path)
    assert list(tensors) == list(fx.tensors), path
    assert metadata == fx.metadata, path
    for name, t in fx.tensors.items():
        expected = t.numpy()
        got = tensors[name]
        assert got.dtype == expected.dtype and got.shape == expected.shape, name
        assert got.tobytes() == np.ascontiguousarray(expected).astype(got.dtype.newbyteorder("<")).tobytes(), name
    return tensors


def state_of(tensors, prefix, keys):
    return {k: torch.from_numpy(tensors[prefix + k].copy()) for k in keys}


def semantic_check(name, tensors):
    """The stored state dicts load strict into the torch modules and reproduce the stored outputs."""
    if name == "resnet18_cifar_w16.safetensors":
        m = resnet18_width(16, 3)
        m.load_state_dict(state_of(tensors, "", m.state_dict().keys()), strict=True)
        m.eval()
        with torch.no_grad():
            logits = m(torch.from_numpy(tensors["input"].copy()))
        assert torch.equal(logits, torch.from_numpy(tensors["logits"].copy()))
    elif name == "vit_tiny_d2.safetensors":
        m = VisionTransformer()
        m.load_state_dict(state_of(tensors, "", m.state_dict().keys()), strict=True)
        with torch.no_grad():
            out = m(torch.from_numpy(tensors["input"].copy()))
        assert torch.equal(out, torch.from_numpy(tensors["cls_features"].copy()))
    elif name.startswith("train_"):
        m = small_cnn()
        m.load_state_dict(state_of(tensors, "final.", m.state_dict().keys()), strict=True)


def fmt_shape(shape):
    return "(" + ", ".join(str(d) for d in shape) + ")" if shape else "() scalar"


def op_family_markdown(fam):
    lines = [f"### `{fam.fx.file_name}` — {fam.fx.summary}", "",
             "| case | computes | inputs | idx (I64) | out | more tensors | args |",
             "|---|---|---|---|---|---|---|"]
    for r in fam.rows:
        expr = r["expr"].replace("|", "\\|")
        lines.append(f"| `{r['case']}` | `{expr}` | {r['inputs']} | {r['idx']} | {r['out']} | {r['more']} "
                     f"| `{r['args']}` |")
    return lines + [""]


def tensor_list_markdown(fx):
    lines = [f"### `{fx.file_name}` — {fx.summary}", ""]
    in_state = set()
    for prefix, keys in fx.state_dicts.items():
        in_state.update(prefix + k for k in keys)
    docs = {n: (d, s) for n, d, s, _ in fx.docs}
    if "" in fx.state_dicts:
        keys = fx.state_dicts[""]
        lines += [f"<details><summary>state dict ({len(keys)} tensors, stored without prefix)</summary>", "",
                  "| name | dtype | shape |", "|---|---|---|"]
        lines += [f"| `{k}` | {docs[k][0]} | {fmt_shape(docs[k][1])} |" for k in keys]
        lines += ["", "</details>", ""]
    for prefix in fx.state_dicts:
        if prefix:
            lines += [f"`{prefix}{{key}}`: the same keys, shapes and dtypes as the state dict above.", ""]
    lines += ["Other tensors:", "", "| name | dtype | shape |", "|---|---|---|"]
    lines += [f"| `{n}` | {d} | {fmt_shape(s)} |" for n, d, s, _ in fx.docs if n not in in_state]
    meta = [f"- `{k}`: `{v}`" for k, v in fx.metadata.items()]
    return lines + [""] + (["Metadata:", ""] + meta + [""] if meta else [])


def update_readme(sections):
    text = README.read_text()
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    README.write_text(head + BEGIN + "\n\n" + "\n".join(sections) + "\n" + END + tail)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    families = all_op_families()
    others = [resnet18_cifar_w16(), vit_tiny_d2(), train_sgd_cnn(), train_adamw_cnn(), optim_steps()]
    total = 0
    for fx in [f.fx for f in families] + others:
        path = fx.write(OUT)
        tensors = self_check(fx, path)
        semantic_check(fx.file_name, tensors)
        if fx.file_name in CHECKS:
            CHECKS[fx.file_name](tensors)
        size = path.stat().st_size
        total += size
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        print(f"{fx.file_name:34s} {size:9d} bytes  {len(fx.tensors):4d} tensors  sha256 {digest}")
    print(f"{'total':34s} {total:9d} bytes")
    sections = []
    for fam in families:
        sections += op_family_markdown(fam)
    for fx in others:
        sections += tensor_list_markdown(fx)
    update_readme(sections)


if __name__ == "__main__":
    main()
