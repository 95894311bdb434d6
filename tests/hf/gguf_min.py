"""gguf_min.py — the smallest GGUF v3 reader/writer the HF parity script needs.

Self-contained (numpy only), so it runs on the H100 test machine where qvk's own
tools are not built for Python. It can:
  * read the raw key/value records of a GGUF (v2 or v3) header, so the
    `tokenizer.*` records of the Qwen vocabulary file are copied byte for byte
    (no re-encoding of 151,936 token strings and 151,387 merges);
  * encode the few scalar/string records the model config needs;
  * write a v3 file of F32 tensors: header, zero padding to the alignment, each
    tensor's bytes followed by zero padding (the layout qvk's writer, gguf-py
    and llama.cpp use).

Dims are written in GGML order (dims[0] innermost), i.e. the reverse of the
numpy shape: a HF Linear weight [out, in] in row-major order is written as-is
with dims [in, out].
"""

from __future__ import annotations

import os
import struct

import numpy as np

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
GGML_TYPE_F32 = 0

# GGUF metadata value types.
T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY, T_UINT64, T_INT64, \
    T_FLOAT64 = range(13)
_FIXED_SIZE = {T_UINT8: 1, T_INT8: 1, T_UINT16: 2, T_INT16: 2, T_UINT32: 4, T_INT32: 4, T_FLOAT32: 4, T_BOOL: 1,
               T_UINT64: 8, T_INT64: 8, T_FLOAT64: 8}
_SCALAR_FMT = {T_UINT8: "<B", T_INT8: "<b", T_UINT16: "<H", T_INT16: "<h", T_UINT32: "<I", T_INT32: "<i",
               T_FLOAT32: "<f", T_BOOL: "<?", T_UINT64: "<Q", T_INT64: "<q", T_FLOAT64: "<d"}


class GgufFormatError(ValueError):
    pass


# ---------------------------------------------------------------- reading

class _Cursor:
    def __init__(self, buf: bytes | memoryview, path: str):
        self.buf, self.pos, self.path = buf, 0, path

    def take(self, n: int, what: str) -> memoryview:
        if n < 0 or self.pos + n > len(self.buf):
            raise GgufFormatError(f"{self.path}: {what}: needs {n} bytes at offset {self.pos}, "
                                  f"file has {len(self.buf)}")
        v = memoryview(self.buf)[self.pos:self.pos + n]
        self.pos += n
        return v

    def u32(self, what: str) -> int:
        return struct.unpack("<I", self.take(4, what))[0]

    def u64(self, what: str) -> int:
        return struct.unpack("<Q", self.take(8, what))[0]

    def string(self, what: str) -> str:
        n = self.u64(what + " length")
        return bytes(self.take(n, what)).decode("utf-8")


def _skip_value(c: _Cursor, vtype: int, what: str, depth: int = 0) -> None:
    if vtype in _FIXED_SIZE:
        c.take(_FIXED_SIZE[vtype], what)
    elif vtype == T_STRING:
        c.take(c.u64(what + " string length"), what)
    elif vtype == T_ARRAY:
        if depth >= 8:
            raise GgufFormatError(f"{c.path}: {what}: arrays nested deeper than 8")
        etype = c.u32(what + " array element type")
        count = c.u64(what + " array length")
        if etype in _FIXED_SIZE:
            c.take(count * _FIXED_SIZE[etype], what)
        else:
            for _ in range(count):
                _skip_value(c, etype, what, depth + 1)
    else:
        raise GgufFormatError(f"{c.path}: {what}: unknown value type {vtype}")


def _parse_value(c: _Cursor, vtype: int, what: str):
    if vtype in _SCALAR_FMT:
        return struct.unpack(_SCALAR_FMT[vtype], c.take(_FIXED_SIZE[vtype], what))[0]
    if vtype == T_STRING:
        return c.string(what)
    if vtype == T_ARRAY:
        etype = c.u32(what + " array element type")
        count = c.u64(what + " array length")
        return [_parse_value(c, etype, what) for _ in range(count)]
    raise GgufFormatError(f"{c.path}: {what}: unknown value type {vtype}")


def read_header(path: str, decode_keys: tuple[str, ...] = ()) -> dict:
    """Parses a GGUF header. Returns {"version", "n_tensors", "records": [(key, vtype, raw_record_bytes)],
    "values": {key: decoded value for keys in decode_keys}, "tensors": [(name, dims, type, offset)]}."""
    with open(path, "rb") as f:
        buf = f.read()
    c = _Cursor(buf, path)
    if bytes(c.take(4, "magic")) != MAGIC:
        raise GgufFormatError(f"{path}: not a GGUF file (bad magic)")
    version = c.u32("version")
    if version not in (2, 3):
        raise GgufFormatError(f"{path}: GGUF version {version} not supported (2 or 3)")
    n_tensors = c.u64("tensor count")
    n_kv = c.u64("kv count")
    records, values = [], {}
    for i in range(n_kv):
        start = c.pos
        key = c.string(f"kv #{i} key")
        vtype = c.u32(f"{key} type")
        vstart = c.pos
        _skip_value(c, vtype, key)
        records.append((key, vtype, bytes(buf[start:c.pos])))
        if key in decode_keys:
            values[key] = _parse_value(_Cursor(buf[vstart:c.pos], path), vtype, key)
    tensors = []
    for i in range(n_tensors):
        name = c.string(f"tensor #{i} name")
        n_dims = c.u32(f"{name} n_dims")
        dims = [c.u64(f"{name} dim") for _ in range(n_dims)]
        ttype = c.u32(f"{name} type")
        offset = c.u64(f"{name} offset")
        tensors.append((name, dims, ttype, offset))
    return {"version": version, "n_tensors": n_tensors, "records": records, "values": values, "tensors": tensors,
            "header_end": c.pos}


def tokenizer_records(vocab_path: str) -> list[bytes]:
    """The raw `tokenizer.*` key/value records of a vocabulary GGUF, in file order."""
    recs = [raw for key, _, raw in read_header(vocab_path)["records"] if key.startswith("tokenizer.")]
    if not recs:
        raise GgufFormatError(f"{vocab_path}: no tokenizer.* keys")
    return recs


# ---------------------------------------------------------------- encoding

def _enc_str(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def kv_string(key: str, value: str) -> bytes:
    return _enc_str(key) + struct.pack("<I", T_STRING) + _enc_str(value)


def kv_u32(key: str, value: int) -> bytes:
    if not 0 <= value < 2**32:
        raise ValueError(f"{key}: {value} does not fit uint32")
    return _enc_str(key) + struct.pack("<II", T_UINT32, value)


def kv_f32(key: str, value: float) -> bytes:
    return _enc_str(key) + struct.pack("<If", T_FLOAT32, value)


def record_key(raw: bytes) -> str:
    (n,) = struct.unpack_from("<Q", raw, 0)
    return raw[8:8 + n].decode("utf-8")


# ---------------------------------------------------------------- writing

def _pad(n: int, alignment: int) -> int:
    return (-n) % alignment


def write_f32_gguf(path: str, kv_records: list[bytes], tensors: list[tuple[str, np.ndarray]],
                   alignment: int = DEFAULT_ALIGNMENT) -> int:
    """Writes a GGUF v3 file with F32 tensors; returns the file size. `tensors` are (name, array) with the
    array in numpy (row-major) shape; GGML dims are the reversed shape. The file appears atomically
    (written as PATH.partial, then renamed)."""
    keys = [record_key(r) for r in kv_records]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate metadata keys: {sorted(k for k in set(keys) if keys.count(k) > 1)}")
    if alignment != DEFAULT_ALIGNMENT and "general.alignment" not in keys:
        raise ValueError("an alignment other than 32 needs a general.alignment record")
    names = [n for n, _ in tensors]
    if len(set(names)) != len(names):
        raise ValueError("duplicate tensor names")

    infos, offset, arrays = [], 0, []
    for name, arr in tensors:
        a = np.ascontiguousarray(arr, dtype="<f4")
        if not 1 <= a.ndim <= 4 or 0 in a.shape:
            raise ValueError(f"tensor {name}: unsupported shape {a.shape}")
        dims = list(reversed(a.shape))
        infos.append(_enc_str(name) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}Q", *dims)
                     + struct.pack("<IQ", GGML_TYPE_F32, offset))
        arrays.append(a)
        offset += a.nbytes + _pad(a.nbytes, alignment)

    header = MAGIC + struct.pack("<IQQ", 3, len(tensors), len(kv_records)) + b"".join(kv_records) + b"".join(infos)
    tmp = path + ".partial"
    with open(tmp, "wb") as f:
        f.write(header)
        f.write(b"\0" * _pad(len(header), alignment))
        for a in arrays:
            a.tofile(f)
            f.write(b"\0" * _pad(a.nbytes, alignment))
        size = f.tell()
    os.replace(tmp, path)
    return size
