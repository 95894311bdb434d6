"""numpy_reference.py — an independent numpy forward pass of the same Qwen2/Qwen3 models.

Two uses:
  * in float64 (with K and V rounded to f16 like qvk's cache) it is a near-exact
    reference, so the report can say how much of a difference is qvk's f32
    arithmetic and how much is HF's;
  * in float32 it stands in for transformers where torch is not installed
    (`hf_parity.py --hf-impl numpy`): a local self-test of the whole pipeline,
    never a parity result.
The math follows HF's Qwen2/Qwen3 modeling code: RMSNorm, q/k/v projections
(+ bias for qwen2), per-head RMSNorm of q and k (qwen3), NeoX RoPE (rotate_half),
causal softmax attention with GQA, SwiGLU MLP, final norm, LM head.
"""

from __future__ import annotations

import numpy as np

from cases import Case, rope_expected


def _rmsnorm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def _rope(x, cos, sin):
    # x: [T, n_heads, d]; cos/sin: [T, d/2]. NeoX pairs (i, i + d/2) == HF rotate_half.
    h = x.shape[-1] // 2
    x0, x1 = x[..., :h], x[..., h:]
    c, s = cos[:, None, :], sin[:, None, :]
    return np.concatenate([x0 * c - x1 * s, x0 * s + x1 * c], axis=-1)


def forward(case: Case, w: dict[str, np.ndarray], ids: list[int], dtype=np.float64, f16_kv: bool = False) -> np.ndarray:
    """Logits [T, vocab] for every position of `ids` (no cache, one pass)."""
    dt = np.dtype(dtype)
    W = {k: v.astype(dt) for k, v in w.items() if k not in ("model.embed_tokens.weight", "lm_head.weight")}
    emb = w["model.embed_tokens.weight"]
    T, d, eps = len(ids), case.head_dim, dt.type(case.rms_eps)
    inv, mscale = rope_expected(case)
    theta = np.arange(T, dtype=np.float64)[:, None] * inv[None, :]
    cos, sin = (np.cos(theta) * mscale).astype(dt), (np.sin(theta) * mscale).astype(dt)
    mask = np.triu(np.full((T, T), -np.inf, dtype=dt), 1)
    group = case.heads // case.kv_heads
    scale = dt.type(1.0 / np.sqrt(d))

    x = emb[np.asarray(ids)].astype(dt)
    for i in range(case.layers):
        p = f"model.layers.{i}."
        h = _rmsnorm(x, W[p + "input_layernorm.weight"], eps)
        q, k, v = (h @ W[p + f"self_attn.{n}_proj.weight"].T for n in "qkv")
        if case.qkv_bias:
            q, k, v = (t + W[p + f"self_attn.{n}_proj.bias"] for t, n in zip((q, k, v), "qkv"))
        q, k, v = q.reshape(T, case.heads, d), k.reshape(T, case.kv_heads, d), v.reshape(T, case.kv_heads, d)
        if case.qk_norm:
            q = _rmsnorm(q, W[p + "self_attn.q_norm.weight"], eps)
            k = _rmsnorm(k, W[p + "self_attn.k_norm.weight"], eps)
        q, k = _rope(q, cos, sin), _rope(k, cos, sin)
        if f16_kv:
            k, v = k.astype(np.float16).astype(dt), v.astype(np.float16).astype(dt)
        att = np.empty((T, case.heads, d), dtype=dt)
        for hh in range(case.heads):
            s = (q[:, hh, :] @ k[:, hh // group, :].T) * scale + mask
            s = np.exp(s - s.max(axis=-1, keepdims=True))
            att[:, hh, :] = (s / s.sum(axis=-1, keepdims=True)) @ v[:, hh // group, :]
        x = x + att.reshape(T, -1) @ W[p + "self_attn.o_proj.weight"].T
        h = _rmsnorm(x, W[p + "post_attention_layernorm.weight"], eps)
        g = h @ W[p + "mlp.gate_proj.weight"].T
        u = h @ W[p + "mlp.up_proj.weight"].T
        x = x + (g / (1 + np.exp(-g)) * u) @ W[p + "mlp.down_proj.weight"].T
    hn = _rmsnorm(x, W["model.norm.weight"], eps)
    head = w["lm_head.weight"] if not case.tied else emb
    return hn @ head.astype(dt).T
