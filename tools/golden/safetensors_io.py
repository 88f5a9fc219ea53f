"""Minimal safetensors writer and reader (no dependency on the `safetensors` package).

Format: 8-byte little-endian u64 header length N, then N bytes of UTF-8 JSON
{name: {"dtype": "F32"|"I64", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {str: str}}
padded with spaces to a multiple of 8, then the raw little-endian row-major data.
Offsets are relative to the start of the data section; tensors are laid out in insertion order.
"""
import json
import struct

import numpy as np
import torch

_DTYPES = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}
_NP_BY_NAME = {"F32": "<f4", "I64": "<i8"}


def write_safetensors(path, tensors, metadata):
    """tensors: ordered dict name -> torch tensor (float32 or int64); metadata: dict str -> str."""
    header = {"__metadata__": {str(k): str(v) for k, v in metadata.items()}}
    blobs, offset = [], 0
    for name, t in tensors.items():
        if t.dtype not in _DTYPES:
            raise TypeError(f"{name}: dtype {t.dtype} is neither float32 nor int64")
        code, np_dtype = _DTYPES[t.dtype]
        blob = t.detach().contiguous().cpu().numpy().astype(np_dtype, copy=False).tobytes(order="C")
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((-len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    """Returns (ordered dict name -> numpy array, metadata dict), validating every size and offset."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if n % 8 != 0 or 8 + n > len(raw):
        raise ValueError(f"{path}: bad header length {n}")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors, expected_begin = {}, 0
    for name, info in header.items():
        np_dtype = _NP_BY_NAME[info["dtype"]]
        shape = info["shape"]
        begin, end = info["data_offsets"]
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if begin != expected_begin or end - begin != count * np.dtype(np_dtype).itemsize or end > len(data):
            raise ValueError(f"{path}: {name} has bad offsets {begin}..{end}")
        tensors[name] = np.frombuffer(data[begin:end], dtype=np_dtype).reshape(shape)
        expected_begin = end
    if expected_begin != len(data):
        raise ValueError(f"{path}: {len(data) - expected_begin} trailing bytes")
    return tensors, metadata
