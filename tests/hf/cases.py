"""cases.py — the small random-weight models of the HF parity check.

One `Case` describes a model; `make_weights` draws its parameters (seeded numpy,
keyed by HF parameter name), `gguf_tensors` lists them under qvk's tensor names
in the order of include/qvk/model/tensor_specs.hpp, and `config_records` writes
the metadata keys of include/qvk/model/config_metadata.hpp. No torch here: this
part is tested on machines without it.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

import gguf_min as g

QWEN_VOCAB = 151936  # rows of token_embd: qvk's loader wants one token string per row


@dataclass(frozen=True)
class Case:
    name: str
    arch: str                    # "qwen3" (QK-norm) or "qwen2" (QKV bias)
    layers: int
    tied: bool
    yarn_factor: float = 0.0     # 0: no rope scaling
    yarn_orig_ctx: int = 0
    hidden: int = 256
    heads: int = 4
    kv_heads: int = 2
    head_dim: int = 64
    ffn: int = 768
    vocab: int = QWEN_VOCAB
    rms_eps: float = 1e-6
    rope_theta: float = 1e6
    context: int = 4096          # max_position_embeddings / context_length

    @property
    def q_dim(self) -> int:
        return self.heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        return self.kv_heads * self.head_dim

    @property
    def qkv_bias(self) -> bool:
        return self.arch == "qwen2"

    @property
    def qk_norm(self) -> bool:
        return self.arch == "qwen3"

    def seed(self, base_seed: int) -> int:
        # Stable across runs and Python versions (not hash()).
        return (base_seed * 1_000_003 + zlib.crc32(self.name.encode())) % 2**32

    def describe(self) -> str:
        rope = f"yarn x{self.yarn_factor:g} (orig {self.yarn_orig_ctx})" if self.yarn_factor else "plain"
        return (f"{self.arch}, {self.layers} layers, {'tied' if self.tied else 'untied'}, "
                f"{'QKV bias' if self.qkv_bias else 'QK-norm'}, rope {rope}")


CASES = [
    Case("qwen3_tied", "qwen3", layers=2, tied=True),
    Case("qwen3_untied", "qwen3", layers=3, tied=False),
    Case("qwen2_bias_tied", "qwen2", layers=2, tied=True),
    Case("qwen3_yarn4", "qwen3", layers=2, tied=True, yarn_factor=4.0, yarn_orig_ctx=1024),
]
CASES_BY_NAME = {c.name: c for c in CASES}


def make_weights(case: Case, seed: int) -> dict[str, np.ndarray]:
    """All parameters, keyed by HF name, float32. Scales keep every activation O(1) (as qvk_make_model's
    synthetic weights): input projections and the untied head std 1/sqrt(fan_in); output projections
    another 1/sqrt(2·layers); embeddings 1/sqrt(hidden) (tied logits of unit scale); norm weights
    1 ± 0.1 (so a norm weight that is dropped or misplaced shows); biases std 0.1."""
    rng = np.random.default_rng(seed)
    depth = 1.0 / math.sqrt(2 * case.layers)

    def normal(shape, std):
        return (rng.standard_normal(shape, dtype=np.float32) * np.float32(std)).astype(np.float32)

    def norm_w(n):
        return (1.0 + 0.1 * (2.0 * rng.random(n, dtype=np.float32) - 1.0)).astype(np.float32)

    H, Q, KV, F = case.hidden, case.q_dim, case.kv_dim, case.ffn
    w: dict[str, np.ndarray] = {"model.embed_tokens.weight": normal((case.vocab, H), 1 / math.sqrt(H))}
    for i in range(case.layers):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = norm_w(H)
        w[p + "self_attn.q_proj.weight"] = normal((Q, H), 1 / math.sqrt(H))
        w[p + "self_attn.k_proj.weight"] = normal((KV, H), 1 / math.sqrt(H))
        w[p + "self_attn.v_proj.weight"] = normal((KV, H), 1 / math.sqrt(H))
        if case.qkv_bias:
            w[p + "self_attn.q_proj.bias"] = normal((Q,), 0.1)
            w[p + "self_attn.k_proj.bias"] = normal((KV,), 0.1)
            w[p + "self_attn.v_proj.bias"] = normal((KV,), 0.1)
        if case.qk_norm:
            w[p + "self_attn.q_norm.weight"] = norm_w(case.head_dim)
            w[p + "self_attn.k_norm.weight"] = norm_w(case.head_dim)
        w[p + "self_attn.o_proj.weight"] = normal((H, Q), depth / math.sqrt(Q))
        w[p + "post_attention_layernorm.weight"] = norm_w(H)
        w[p + "mlp.gate_proj.weight"] = normal((F, H), 1 / math.sqrt(H))
        w[p + "mlp.up_proj.weight"] = normal((F, H), 1 / math.sqrt(H))
        w[p + "mlp.down_proj.weight"] = normal((H, F), depth / math.sqrt(F))
    w["model.norm.weight"] = norm_w(H)
    if not case.tied:
        w["lm_head.weight"] = normal((case.vocab, H), 1 / math.sqrt(H))
    return w


def gguf_tensors(case: Case, w: dict[str, np.ndarray]) -> list[tuple[str, np.ndarray]]:
    """(qvk tensor name, array) in tensor_specs order. Arrays are the HF ones unchanged: no Q/K
    permutation (HF's rotate_half is the NeoX pairing qvk uses, as llama.cpp's Qwen2/Qwen3 converter
    also writes q_proj/k_proj unpermuted)."""
    t = [("token_embd.weight", w["model.embed_tokens.weight"])]
    for i in range(case.layers):
        p, b = f"model.layers.{i}.", f"blk.{i}."
        t.append((b + "attn_norm.weight", w[p + "input_layernorm.weight"]))
        t.append((b + "attn_q.weight", w[p + "self_attn.q_proj.weight"]))
        t.append((b + "attn_k.weight", w[p + "self_attn.k_proj.weight"]))
        t.append((b + "attn_v.weight", w[p + "self_attn.v_proj.weight"]))
        if case.qkv_bias:
            t.append((b + "attn_q.bias", w[p + "self_attn.q_proj.bias"]))
            t.append((b + "attn_k.bias", w[p + "self_attn.k_proj.bias"]))
            t.append((b + "attn_v.bias", w[p + "self_attn.v_proj.bias"]))
        if case.qk_norm:
            t.append((b + "attn_q_norm.weight", w[p + "self_attn.q_norm.weight"]))
            t.append((b + "attn_k_norm.weight", w[p + "self_attn.k_norm.weight"]))
        t.append((b + "attn_output.weight", w[p + "self_attn.o_proj.weight"]))
        t.append((b + "ffn_norm.weight", w[p + "post_attention_layernorm.weight"]))
        t.append((b + "ffn_gate.weight", w[p + "mlp.gate_proj.weight"]))
        t.append((b + "ffn_up.weight", w[p + "mlp.up_proj.weight"]))
        t.append((b + "ffn_down.weight", w[p + "mlp.down_proj.weight"]))
    t.append(("output_norm.weight", w["model.norm.weight"]))
    if not case.tied:
        t.append(("output.weight", w["lm_head.weight"]))
    if len(t) != len(w):
        raise AssertionError(f"{case.name}: {len(w)} weights drawn, {len(t)} written")
    return t


def config_records(case: Case, seed: int) -> list[bytes]:
    """The metadata of config_metadata.hpp (same keys and value types), plus identification."""
    p = case.arch + "."
    r = [
        g.kv_string("general.architecture", case.arch),
        g.kv_string("general.type", "model"),
        g.kv_string("general.name", f"qvk-hf-parity-{case.name}"),
        g.kv_u32("general.file_type", 0),  # llama.cpp's ftype ALL_F32
        g.kv_u32(p + "context_length", case.context),
        g.kv_u32(p + "embedding_length", case.hidden),
        g.kv_u32(p + "block_count", case.layers),
        g.kv_u32(p + "feed_forward_length", case.ffn),
        g.kv_u32(p + "attention.head_count", case.heads),
        g.kv_u32(p + "attention.head_count_kv", case.kv_heads),
        g.kv_u32(p + "attention.key_length", case.head_dim),
        g.kv_u32(p + "attention.value_length", case.head_dim),
        g.kv_f32(p + "attention.layer_norm_rms_epsilon", case.rms_eps),
        g.kv_f32(p + "rope.freq_base", case.rope_theta),
    ]
    if case.yarn_factor:
        r += [
            g.kv_string(p + "rope.scaling.type", "yarn"),
            g.kv_f32(p + "rope.scaling.factor", case.yarn_factor),
            g.kv_u32(p + "rope.scaling.original_context_length", case.yarn_orig_ctx),
        ]
    r.append(g.kv_u32("qvk.hf_parity.seed", seed))
    return r


def write_case_gguf(case: Case, w: dict[str, np.ndarray], seed: int, vocab_path: str, path: str) -> int:
    return g.write_f32_gguf(path, config_records(case, seed) + g.tokenizer_records(vocab_path), gguf_tensors(case, w))


def rope_expected(case: Case) -> tuple[np.ndarray, float]:
    """inv_freq per rotated pair and the cos/sin scale, in float64, from the formulas of
    include/qvk/ops/rope_table.hpp (YaRN as llama.cpp: beta_fast 32, beta_slow 1, ramp over pair index,
    mscale 1 + 0.1 ln factor). Used to check that HF read our rope config as intended and by the numpy
    reference."""
    d = case.head_dim
    i = np.arange(d // 2, dtype=np.float64)
    inv = case.rope_theta ** (-2.0 * i / d)
    if not case.yarn_factor:
        return inv, 1.0

    def corr(beta):
        return d * math.log(case.yarn_orig_ctx / (beta * 2 * math.pi)) / (2 * math.log(case.rope_theta))

    low = max(0.0, math.floor(corr(32.0)))
    high = min(d - 1.0, math.ceil(corr(1.0)))
    ramp = 1.0 - np.clip((i - low) / max(0.001, high - low), 0.0, 1.0)  # 1: keep (extrapolate), 0: interpolate
    inv = (inv / case.yarn_factor) * (1.0 - ramp) + inv * ramp
    return inv, 1.0 + 0.1 * math.log(case.yarn_factor)
