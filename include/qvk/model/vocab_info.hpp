// qvk/model/vocab_info.hpp — tokenizer metadata summary, checked against the model.
//
// The tokenizer itself lives in qvk/tokenizer; this is what the loader must
// verify before generation can index the embedding with a token id: arrays as
// long as the embedding has rows, special ids inside the vocabulary.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "qvk/gguf/file.hpp"
#include "qvk/model/metadata.hpp"

namespace qvk::model {

struct VocabInfo {
  std::string model;           // tokenizer.ggml.model ("gpt2" = byte-level BPE)
  std::string pre;             // tokenizer.ggml.pre ("qwen2", "qwen35")
  std::uint64_t n_tokens = 0;  // tokenizer.ggml.tokens
  std::uint64_t n_merges = 0;  // tokenizer.ggml.merges
  std::optional<std::uint32_t> bos, eos, pad;
  bool has_chat_template = false;
};

inline VocabInfo read_vocab_info(const gguf::File& f, std::uint64_t embedding_rows) {
  VocabInfo v;
  v.model = *read_string(f, "tokenizer.ggml.model", true);
  if (v.model != "gpt2")
    throw gguf::Error(f.path(), "tokenizer.ggml.model",
                      "expected gpt2 (byte-level BPE, as every Qwen model), found '" + v.model + "'");
  v.pre = read_string(f, "tokenizer.ggml.pre", false).value_or("default");

  auto array_len = [&](const std::string& key, gguf::ValueType elem, bool required) -> std::uint64_t {
    const gguf::Value* val = f.find(key);
    if (!val) {
      if (required) throw gguf::Error(f.path(), key, "required key is missing");
      return 0;
    }
    const auto* items = val->as_array();
    if (!items || val->elem_type != elem)
      throw gguf::Error(f.path(), key,
                        "expected array<" + std::string(gguf::value_type_name(elem)) + ">, found " + val->describe());
    return items->size();
  };
  v.n_tokens = array_len("tokenizer.ggml.tokens", gguf::ValueType::STRING, true);
  if (v.n_tokens != embedding_rows)
    throw gguf::Error(f.path(), "tokenizer.ggml.tokens",
                      "expected one token per embedding row (" + std::to_string(embedding_rows) + "), found " +
                          std::to_string(v.n_tokens) + " tokens");
  if (f.find("tokenizer.ggml.token_type")) {
    const std::uint64_t n_types = array_len("tokenizer.ggml.token_type", gguf::ValueType::INT32, false);
    if (n_types != v.n_tokens)
      throw gguf::Error(f.path(), "tokenizer.ggml.token_type",
                        "expected " + std::to_string(v.n_tokens) + " entries (one per token), found " +
                            std::to_string(n_types));
  }
  v.n_merges = array_len("tokenizer.ggml.merges", gguf::ValueType::STRING, true);

  auto special = [&](const std::string& key) -> std::optional<std::uint32_t> {
    auto id = read_uint(f, key, false);
    if (id && *id >= v.n_tokens)
      throw gguf::Error(f.path(), key,
                        "expected a token id below " + std::to_string(v.n_tokens) + ", found " + std::to_string(*id));
    return id ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(*id)) : std::nullopt;
  };
  v.bos = special("tokenizer.ggml.bos_token_id");
  v.eos = special("tokenizer.ggml.eos_token_id");
  v.pad = special("tokenizer.ggml.padding_token_id");
  v.has_chat_template = f.find("tokenizer.chat_template") != nullptr;
  return v;
}

}  // namespace qvk::model
