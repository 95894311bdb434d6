// qvk/model/config_metadata.hpp — writes a Config as GGUF metadata: the exact
// keys read_config reads, so a written file reads back to the same Config.
#pragma once

#include <string>

#include "qvk/gguf/writer.hpp"
#include "qvk/model/config.hpp"

namespace qvk::model {

// Sink: anything with add_kv(std::string, gguf::Value) — the Writer, or a
// test's key list that it edits before writing.
template <class Sink>
void add_config_metadata(Sink& w, const Config& c) {
  using gguf::Value;
  const std::string p = std::string(arch_name(c.arch)) + ".";
  w.add_kv("general.architecture", Value::str(std::string(arch_name(c.arch))));
  w.add_kv(p + "context_length", Value::u32(c.context_length));
  w.add_kv(p + "embedding_length", Value::u32(c.hidden));
  w.add_kv(p + "block_count", Value::u32(c.layers));
  w.add_kv(p + "feed_forward_length", Value::u32(c.ffn));
  w.add_kv(p + "attention.head_count", Value::u32(c.heads));
  w.add_kv(p + "attention.head_count_kv", Value::u32(c.kv_heads));
  w.add_kv(p + "attention.key_length", Value::u32(c.head_dim));
  w.add_kv(p + "attention.value_length", Value::u32(c.head_dim));
  w.add_kv(p + "attention.layer_norm_rms_epsilon", Value::f32(c.rms_eps));
  w.add_kv(p + "rope.freq_base", Value::f32(c.rope_base));
  if (c.rope_scaling.type != RopeScalingType::None) {
    w.add_kv(p + "rope.scaling.type", Value::str(c.rope_scaling.type == RopeScalingType::Yarn ? "yarn" : "linear"));
    w.add_kv(p + "rope.scaling.factor", Value::f32(c.rope_scaling.factor));
    if (c.rope_scaling.type == RopeScalingType::Yarn)
      w.add_kv(p + "rope.scaling.original_context_length", Value::u32(c.rope_scaling.original_context));
  }
}

}  // namespace qvk::model
