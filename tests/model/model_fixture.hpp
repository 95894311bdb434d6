// tests/model/model_fixture.hpp — writes small model GGUFs for config/loader
// tests: a valid dense model by default, with edits (drop/replace keys, drop
// tensors, change dims/types, add tensors) to make each kind of bad file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "qvk/gguf/writer.hpp"
#include "qvk/model/config_metadata.hpp"
#include "qvk/model/tensor_specs.hpp"

namespace qvk::test {

// A valid small shape (no K-quant alignment needed: tensors are F32).
inline model::Config small_config(model::Arch arch = model::Arch::Qwen3, bool tied = true) {
  model::Config c;
  c.arch = arch;
  c.hidden = 32;
  c.layers = 2;
  c.heads = 4;
  c.kv_heads = 2;
  c.head_dim = 8;
  c.ffn = 64;
  c.vocab = 40;
  c.context_length = 128;
  c.rms_eps = 1e-6f;
  c.rope_base = 1000000.0f;
  c.tied_embeddings = tied;
  return c;
}

struct KvList {
  std::vector<gguf::KeyValue> kvs;
  void add_kv(std::string key, gguf::Value v) { kvs.push_back({std::move(key), std::move(v)}); }
};

struct Edits {
  std::set<std::string> drop_keys;
  std::vector<gguf::KeyValue> set_keys;        // replaces a key of that name, else appended
  std::set<std::string> drop_tensors;
  std::map<std::string, std::vector<std::uint64_t>> dims;
  std::map<std::string, quant::Type> types;
  std::vector<std::pair<std::string, std::vector<std::uint64_t>>> extra_tensors;  // F32
  std::int64_t n_tokens = -1;                  // tokenizer size; -1: c.vocab
};

inline std::filesystem::path write_model(const std::filesystem::path& path, const model::Config& c,
                                         const Edits& e = {}) {
  using gguf::Value;
  KvList kv;
  model::add_config_metadata(kv, c);
  const std::uint64_t n_tokens = e.n_tokens < 0 ? c.vocab : static_cast<std::uint64_t>(e.n_tokens);
  std::vector<Value> tokens, types;
  for (std::uint64_t i = 0; i < n_tokens; ++i) {
    tokens.push_back(Value::str("t" + std::to_string(i)));
    types.push_back(Value::i32(1));
  }
  kv.add_kv("tokenizer.ggml.model", Value::str("gpt2"));
  kv.add_kv("tokenizer.ggml.pre", Value::str("qwen2"));
  kv.add_kv("tokenizer.ggml.tokens", Value::array(gguf::ValueType::STRING, tokens));
  kv.add_kv("tokenizer.ggml.token_type", Value::array(gguf::ValueType::INT32, types));
  kv.add_kv("tokenizer.ggml.merges", Value::array(gguf::ValueType::STRING, {Value::str("t t")}));
  kv.add_kv("tokenizer.ggml.eos_token_id", Value::u32(static_cast<std::uint32_t>(c.vocab - 1)));
  for (const auto& s : e.set_keys) {
    bool replaced = false;
    for (auto& x : kv.kvs)
      if (x.key == s.key) x.value = s.value, replaced = true;
    if (!replaced) kv.kvs.push_back(s);
  }

  gguf::Writer w(path);
  for (const auto& x : kv.kvs)
    if (!e.drop_keys.count(x.key)) w.add_kv(x.key, x.value);
  std::vector<std::uint64_t> sizes;
  auto add = [&](const std::string& name, quant::Type t, const std::vector<std::uint64_t>& dims) {
    w.add_tensor(name, t, dims);
  };
  for (const auto& s : model::tensor_specs(c)) {
    if (e.drop_tensors.count(s.name)) continue;
    auto dims = e.dims.count(s.name) ? e.dims.at(s.name) : s.dims;
    auto type = e.types.count(s.name) ? e.types.at(s.name) : quant::Type::F32;
    add(s.name, type, dims);
  }
  for (const auto& [name, dims] : e.extra_tensors) add(name, quant::Type::F32, dims);
  w.write_header();
  for (const auto& t : w.tensors()) {
    std::vector<std::byte> zeros(t.n_bytes);
    w.write_data(zeros);
  }
  w.finish();
  return path;
}

inline std::filesystem::path temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "qvk_model_tests";
  std::filesystem::create_directories(dir);
  return dir / name;
}

}  // namespace qvk::test
