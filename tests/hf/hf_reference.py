"""hf_reference.py — the transformers side of the parity check (imports torch).

`hf_logits(case, weights, ids, threads, device)` builds Qwen3ForCausalLM /
Qwen2ForCausalLM in float32 with eager attention, loads our seeded weights
by parameter name, checks that HF understood the config (shapes, tying, the
RoPE frequencies and YaRN scale against our own formula), and returns the
logits of every position for two variants:
  "hf"        — transformers as is;
  "hf_f16kv"  — the same, but with K (after RoPE) and V rounded to float16
                and back inside attention, as qvk's f16 KV cache does.
The f16 variant wraps the module-level `eager_attention_forward` of the
modeling file (the function HF's attention forward calls for "eager"); every
call is counted, and the run fails unless it ran once per layer, so a
transformers version that routes attention elsewhere cannot pass silently.

transformers 5 moved rope_theta / rope_scaling into `config.rope_parameters`;
`make_config` writes whichever the installed version declares.
"""

from __future__ import annotations

import importlib
import time

import numpy as np
import torch
import transformers

from cases import Case, rope_expected


class HfSetupError(RuntimeError):
    pass


def versions() -> dict:
    return {"transformers": transformers.__version__, "torch": torch.__version__}


def _classes(arch: str):
    if arch == "qwen3":
        return transformers.Qwen3Config, transformers.Qwen3ForCausalLM
    if arch == "qwen2":
        return transformers.Qwen2Config, transformers.Qwen2ForCausalLM
    raise ValueError(arch)


def _uses_rope_parameters(config_cls) -> bool:
    # transformers 5: `rope_parameters` (dict with rope_type, rope_theta, factor, ...).
    # transformers 4: `rope_theta` attribute and an optional `rope_scaling` dict.
    return hasattr(config_cls(), "rope_parameters")


def make_config(case: Case):
    config_cls, _ = _classes(case.arch)
    kw = dict(
        vocab_size=case.vocab,
        hidden_size=case.hidden,
        intermediate_size=case.ffn,
        num_hidden_layers=case.layers,
        num_attention_heads=case.heads,
        num_key_value_heads=case.kv_heads,
        hidden_act="silu",
        max_position_embeddings=case.context,
        rms_norm_eps=case.rms_eps,
        tie_word_embeddings=case.tied,
        use_sliding_window=False,
        attention_dropout=0.0,
        attn_implementation="eager",
    )
    if case.arch == "qwen3":
        kw["head_dim"] = case.head_dim  # Qwen3Config's default is 128; Qwen2 derives hidden / heads (= 64 here)
    elif case.hidden // case.heads != case.head_dim:
        raise ValueError(f"{case.name}: qwen2 needs hidden / heads == head_dim")
    scaling = None
    if case.yarn_factor:
        # YaRN's context extension: max_position_embeddings / original == factor (HF derives the factor
        # from that ratio when original_max_position_embeddings is given).
        if case.context / case.yarn_orig_ctx != case.yarn_factor:
            raise ValueError(f"{case.name}: context / original context must equal the YaRN factor")
        scaling = {"rope_type": "yarn", "factor": float(case.yarn_factor),
                   "original_max_position_embeddings": case.yarn_orig_ctx}
    if _uses_rope_parameters(config_cls):
        kw["rope_parameters"] = {"rope_type": "default", "rope_theta": float(case.rope_theta)}
        if scaling:
            kw["rope_parameters"] = {**scaling, "rope_theta": float(case.rope_theta)}
    else:
        kw["rope_theta"] = float(case.rope_theta)
        if scaling:
            kw["rope_scaling"] = scaling
    cfg = config_cls(**kw)
    cfg._attn_implementation = "eager"
    return cfg


def _load_weights(case: Case, model, w: dict[str, np.ndarray]) -> None:
    params = dict(model.named_parameters())  # tied lm_head.weight is listed once, as the embedding
    missing = sorted(set(params) - set(w) - ({"lm_head.weight"} if case.tied else set()))
    unused = sorted(set(w) - set(params))
    if missing or unused:
        raise HfSetupError(f"{case.name}: HF parameters without our weights: {missing}; "
                           f"our weights without HF parameter: {unused}")
    with torch.no_grad():
        for name, p in params.items():
            src = w["model.embed_tokens.weight"] if name == "lm_head.weight" and case.tied else w[name]
            if tuple(p.shape) != src.shape:
                raise HfSetupError(f"{case.name}: {name}: HF shape {tuple(p.shape)}, ours {src.shape}")
            p.copy_(torch.from_numpy(src))
    head = model.get_output_embeddings().weight.detach().cpu().numpy()
    want = w["model.embed_tokens.weight"] if case.tied else w["lm_head.weight"]
    if not np.array_equal(head, want):
        raise HfSetupError(f"{case.name}: HF's LM head is not the {'embedding (tied)' if case.tied else 'lm_head'} "
                           "weight we loaded")


def _check_rope(case: Case, model) -> dict:
    """HF's inverse frequencies and cos/sin scale against our formula: catches a rope config that HF
    read differently (ignored theta, other YaRN factor or original context). If the attributes are not
    where transformers 4.4x-5 keep them, the check is reported as skipped; the numpy float64 cross-check
    in hf_parity.py still compares whole models."""
    rot = getattr(getattr(model, "model", None), "rotary_emb", None)
    if rot is None or not hasattr(rot, "inv_freq"):
        return {"checked": False, "why": "model.model.rotary_emb.inv_freq not found"}
    inv_hf = rot.inv_freq.detach().double().cpu().numpy()
    scale_hf = float(getattr(rot, "attention_scaling", 1.0))
    inv, mscale = rope_expected(case)
    rel = float(np.max(np.abs(inv_hf - inv) / inv)) if inv_hf.shape == inv.shape else float("inf")
    info = {"checked": True, "inv_freq_max_rel_diff": rel, "hf_attention_scaling": scale_hf,
            "expected_attention_scaling": mscale, "rope_type": str(getattr(rot, "rope_type", None))}
    # HF computes inv_freq in float32: agreement to ~1e-7 relative is all one can ask.
    if not rel < 1e-5 or abs(scale_hf - mscale) > 1e-6:
        raise HfSetupError(f"{case.name}: HF's RoPE is not the one the GGUF describes: {info}")
    return info


class _KvRounding:
    """Wraps eager_attention_forward of one modeling module; counts calls and optionally rounds K/V."""

    def __init__(self, model):
        self.mod = importlib.import_module(type(model).__module__)
        if not hasattr(self.mod, "eager_attention_forward"):
            raise HfSetupError(f"{self.mod.__name__} has no eager_attention_forward to wrap")
        self.orig = self.mod.eager_attention_forward
        self.round_kv, self.calls = False, 0

    def __enter__(self):
        orig = self.orig

        def wrapped(module, query, key, value, attention_mask, *args, **kwargs):
            self.calls += 1
            if self.round_kv:
                key = key.to(torch.float16).to(key.dtype)
                value = value.to(torch.float16).to(value.dtype)
            return orig(module, query, key, value, attention_mask, *args, **kwargs)

        self.mod.eager_attention_forward = wrapped
        return self

    def __exit__(self, *exc):
        self.mod.eager_attention_forward = self.orig
        return False


def hf_logits(case: Case, w: dict[str, np.ndarray], ids: list[int], threads: int, device: str = "cpu") -> dict:
    """Returns {"logits": {"hf": [T,V] float32, "hf_f16kv": ...}, "info": {...}}."""
    torch.set_num_threads(threads)
    # IEEE float32 matmuls: no TF32 on CUDA, no bf16 passes on CPU (this is an F32 parity check).
    torch.set_float32_matmul_precision("highest")
    torch.manual_seed(0)  # HF's own init is overwritten below; seeded anyway for repeatability

    t0 = time.time()
    _, model_cls = _classes(case.arch)
    cfg = make_config(case)
    model = model_cls(cfg).to(torch.float32)
    if getattr(model.config, "_attn_implementation", None) != "eager" and hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation("eager")
    if model.config._attn_implementation != "eager":
        raise HfSetupError(f"{case.name}: attention implementation is {model.config._attn_implementation!r}, "
                           "not eager")
    _load_weights(case, model, w)
    model = model.to(device).eval()
    info = {"rope": _check_rope(case, model), "config_class": type(cfg).__name__, "model_class": type(model).__name__,
            "rope_config_style": "rope_parameters" if _uses_rope_parameters(type(cfg)) else "rope_theta/rope_scaling",
            "device": device}

    x = torch.tensor([ids], dtype=torch.long, device=device)
    out = {}
    with _KvRounding(model) as hook, torch.inference_mode():
        for variant, round_kv in (("hf", False), ("hf_f16kv", True)):
            hook.round_kv, hook.calls = round_kv, 0
            logits = model(input_ids=x, use_cache=False).logits
            if hook.calls != case.layers:
                raise HfSetupError(f"{case.name}: {variant}: eager_attention_forward ran {hook.calls} times, "
                                   f"expected once per layer ({case.layers}); the f16 K/V rounding would not apply")
            out[variant] = logits[0].float().cpu().numpy()
    if out["hf"].shape != (len(ids), case.vocab):
        raise HfSetupError(f"{case.name}: logits shape {out['hf'].shape}, expected {(len(ids), case.vocab)}")
    if np.array_equal(out["hf"], out["hf_f16kv"]):
        raise HfSetupError(f"{case.name}: rounding K/V to f16 changed nothing: the hook did not take effect")
    info["seconds"] = time.time() - t0
    return {"logits": out, "info": info}
