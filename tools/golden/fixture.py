"""A fixture file under construction: named tensors, string metadata, and one doc line per tensor."""
import json
import zlib

import torch

from safetensors_io import write_safetensors


def seeded(*keys):
    """A torch.Generator seeded from the given keys (stable across runs and Python versions)."""
    g = torch.Generator()
    g.manual_seed(zlib.crc32("/".join(str(k) for k in keys).encode("utf-8")))
    return g


class Fixture:
    def __init__(self, file_name, summary):
        self.file_name = file_name
        self.summary = summary
        self.tensors = {}
        self.metadata = {}
        self.docs = []  # (name, dtype, shape, description)
        self.state_dicts = {}  # prefix -> state-dict keys stored under it

    def add(self, name, tensor, description=""):
        if name in self.tensors:
            raise KeyError(f"{self.file_name}: duplicate tensor {name}")
        t = tensor.detach().clone()
        if t.dtype not in (torch.float32, torch.int64):
            raise TypeError(f"{name}: {t.dtype}")
        self.tensors[name] = t
        self.docs.append((name, "F32" if t.dtype == torch.float32 else "I64", list(t.shape), description))

    def add_state_dict(self, state, prefix="", description=""):
        self.state_dicts[prefix] = list(state)
        for k, v in state.items():
            self.add(prefix + k, v, description)

    def meta(self, key, value):
        self.metadata[key] = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))

    def write(self, directory):
        path = directory / self.file_name
        write_safetensors(path, self.tensors, self.metadata)
        return path
