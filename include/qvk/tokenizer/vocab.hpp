// qvk/tokenizer/vocab.hpp — a byte-level BPE vocabulary read from GGUF
// metadata, validated.
//
// Keys read: tokenizer.ggml.model (must be "gpt2": byte-level BPE),
// tokenizer.ggml.pre ("qwen2"/"qwen35"), tokenizer.ggml.tokens,
// tokenizer.ggml.token_type (optional: all NORMAL without it),
// tokenizer.ggml.merges, tokenizer.ggml.eos_token_id (required),
// tokenizer.ggml.bos_token_id (optional; Qwen never adds a BOS).
//
// Any inconsistency throws qvk::gguf::Error naming the file and the key:
// wrong types, a type code outside 0..6, duplicate token texts, a NORMAL
// token that is not byte-level text, a byte without its single-byte token, a
// merge that is not "LEFT RIGHT" of two known tokens whose concatenation is a
// token too, special ids outside the vocabulary.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qvk/gguf/error.hpp"
#include "qvk/gguf/file.hpp"
#include "qvk/gguf/value.hpp"
#include "qvk/tokenizer/detail/byte_unicode.hpp"
#include "qvk/tokenizer/detail/merge_table.hpp"
#include "qvk/tokenizer/detail/token_index.hpp"
#include "qvk/tokenizer/detail/utf8.hpp"
#include "qvk/tokenizer/pre_tokenizer.hpp"

namespace qvk::tokenizer {

// GGUF's token type codes (gguf-py's TokenType).
enum class TokenType : std::int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

struct Vocab {
  std::string path;  // the GGUF file, for messages
  PreTokenizer pre = PreTokenizer::kQwen2;
  std::vector<TokenType> types;
  // Texts as stored in GGUF, and "pieces": the bytes a token stands for
  // (NORMAL: byte-level text decoded; CONTROL, UNKNOWN, USER_DEFINED: the text
  // itself; UNUSED, BYTE, UNDEFINED: nothing, as llama.cpp renders them).
  std::string text_arena, piece_arena;
  std::vector<std::uint32_t> text_offset, piece_offset;  // n_tokens + 1 each
  detail::TokenIndex index;                               // text -> id
  std::array<std::int32_t, 256> byte_token{};            // byte -> its single-byte token
  detail::MergeTable merges;
  std::int32_t eos = -1;
  std::optional<std::int32_t> bos;
  std::vector<std::int32_t> eog;  // ids that end a generation (sorted)

  std::int32_t size() const { return static_cast<std::int32_t>(types.size()); }
  std::string_view text(std::int32_t id) const {
    return std::string_view(text_arena).substr(text_offset[id], text_offset[id + 1] - text_offset[id]);
  }
  std::string_view piece(std::int32_t id) const {
    return std::string_view(piece_arena).substr(piece_offset[id], piece_offset[id + 1] - piece_offset[id]);
  }
  std::int32_t find(std::string_view t) const {
    return index.find(t, [this](std::int32_t id) { return text(id); });
  }
};

// Reads and validates the vocabulary; `pre_override` replaces
// tokenizer.ggml.pre (e.g. to run qwen35 vectors on a qwen2-typed file).
Vocab load_vocab(const gguf::File& f, std::optional<PreTokenizer> pre_override = std::nullopt);

// ---- implementation --------------------------------------------------------

namespace detail {

inline const gguf::Value& require_key(const gguf::File& f, const std::string& key) {
  const gguf::Value* v = f.find(key);
  if (v == nullptr) throw gguf::Error(f.path(), key, "required key is missing");
  return *v;
}

inline const std::string& require_string(const gguf::File& f, const std::string& key) {
  const gguf::Value& v = require_key(f, key);
  if (const std::string* s = v.as_string()) return *s;
  throw gguf::Error(f.path(), key, "expected a string, found " + v.describe());
}

inline const std::vector<gguf::Value>& require_array(const gguf::File& f, const std::string& key,
                                                     gguf::ValueType elem) {
  const gguf::Value& v = require_key(f, key);
  if (v.type != gguf::ValueType::ARRAY || v.elem_type != elem)
    throw gguf::Error(f.path(), key,
                      "expected array<" + std::string(gguf::value_type_name(elem)) + ">, found " + v.describe());
  return v.items;
}

inline std::optional<std::int32_t> token_id_key(const gguf::File& f, const std::string& key, std::int32_t n_tokens,
                                                bool required) {
  const gguf::Value* v = f.find(key);
  if (v == nullptr) {
    if (required) throw gguf::Error(f.path(), key, "required key is missing");
    return std::nullopt;
  }
  const auto u = v->as_uint();
  if (!u || *u >= static_cast<std::uint64_t>(n_tokens))
    throw gguf::Error(f.path(), key,
                      "expected a token id below " + std::to_string(n_tokens) + ", found " + v->describe());
  return static_cast<std::int32_t>(*u);
}

// Decodes byte-level text ("Ġthe") into the bytes it stands for (" the");
// false when a code point stands for no byte.
inline bool decode_byte_level(std::string_view text, std::string& out) {
  for (std::size_t i = 0; i < text.size();) {
    const Utf8Scan sc = scan_utf8(text.substr(i));
    if (!sc.complete || sc.cp >= kByteCodepointEnd || kCodepointToByte[sc.cp] < 0) return false;
    out += static_cast<char>(kCodepointToByte[sc.cp]);
    i += sc.valid;
  }
  return true;
}

inline std::string quoted(std::string_view s) {
  constexpr std::size_t kShown = 40;
  return "'" + std::string(s.substr(0, kShown)) + (s.size() > kShown ? "...'" : "'");
}

}  // namespace detail

inline Vocab load_vocab(const gguf::File& f, std::optional<PreTokenizer> pre_override) {
  using gguf::Error;
  Vocab v;
  v.path = f.path();

  const std::string& model = detail::require_string(f, "tokenizer.ggml.model");
  if (model != "gpt2")
    throw Error(f.path(), "tokenizer.ggml.model", "expected 'gpt2' (byte-level BPE, as every Qwen model), found '" + model + "'");
  if (pre_override) {
    v.pre = *pre_override;
  } else {
    const std::string& pre = detail::require_string(f, "tokenizer.ggml.pre");
    const auto p = pre_tokenizer_from_name(pre);
    if (!p) throw Error(f.path(), "tokenizer.ggml.pre", "expected 'qwen2' or 'qwen35' (the Qwen pre-tokenizers), found '" + pre + "'");
    v.pre = *p;
  }

  // Tokens and their types.
  const auto& tokens = detail::require_array(f, "tokenizer.ggml.tokens", gguf::ValueType::STRING);
  if (tokens.empty() || tokens.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    throw Error(f.path(), "tokenizer.ggml.tokens", "expected 1 to 2^31-1 tokens, found " + std::to_string(tokens.size()));
  const auto n = static_cast<std::int32_t>(tokens.size());
  v.types.assign(tokens.size(), TokenType::kNormal);
  if (f.find("tokenizer.ggml.token_type") != nullptr) {
    const auto& types = detail::require_array(f, "tokenizer.ggml.token_type", gguf::ValueType::INT32);
    if (types.size() != tokens.size())
      throw Error(f.path(), "tokenizer.ggml.token_type",
                  "expected " + std::to_string(tokens.size()) + " entries (one per token), found " + std::to_string(types.size()));
    for (std::int32_t id = 0; id < n; ++id) {
      const std::int64_t t = types[id].i;
      if (t < 0 || t > static_cast<std::int64_t>(TokenType::kByte))
        throw Error(f.path(), "tokenizer.ggml.token_type",
                    "expected a type code 0..6 for token #" + std::to_string(id) + ", found " + std::to_string(t));
      v.types[id] = static_cast<TokenType>(t);
    }
  }

  v.text_offset.reserve(tokens.size() + 1);
  v.piece_offset.reserve(tokens.size() + 1);
  v.text_offset.push_back(0);
  v.piece_offset.push_back(0);
  for (std::int32_t id = 0; id < n; ++id) {
    const std::string& t = tokens[id].s;
    v.text_arena += t;
    switch (v.types[id]) {
      case TokenType::kNormal:
        if (!detail::decode_byte_level(t, v.piece_arena))
          throw Error(f.path(), "tokenizer.ggml.tokens",
                      "expected byte-level text for NORMAL token #" + std::to_string(id) + ", found " + detail::quoted(t));
        break;
      case TokenType::kControl: case TokenType::kUnknown: case TokenType::kUserDefined:
        v.piece_arena += t;
        break;
      default:  // UNUSED, BYTE, UNDEFINED render as nothing
        break;
    }
    if (v.text_arena.size() > std::numeric_limits<std::uint32_t>::max())
      throw Error(f.path(), "tokenizer.ggml.tokens", "expected token texts of at most 4 GiB in all");
    v.text_offset.push_back(static_cast<std::uint32_t>(v.text_arena.size()));
    v.piece_offset.push_back(static_cast<std::uint32_t>(v.piece_arena.size()));
  }

  const auto text_of = [&v](std::int32_t id) { return v.text(id); };
  v.index.reserve(tokens.size());
  for (std::int32_t id = 0; id < n; ++id) {
    const std::int32_t first = v.index.insert(v.text(id), id, text_of);
    if (first != id)
      throw Error(f.path(), "tokenizer.ggml.tokens",
                  "expected unique token texts, found " + detail::quoted(v.text(id)) + " at #" + std::to_string(first) +
                      " and #" + std::to_string(id));
  }

  // Every byte needs its single-byte token: BPE starts from them.
  for (int b = 0; b < 256; ++b) {
    std::string t;
    detail::append_utf8(t, detail::kByteToCodepoint[b]);
    const std::int32_t id = v.find(t);
    if (id < 0 || v.types[id] != TokenType::kNormal)
      throw Error(f.path(), "tokenizer.ggml.tokens",
                  "expected a NORMAL token " + detail::quoted(t) + " for byte " + std::to_string(b) + ", found none");
    v.byte_token[b] = id;
  }

  // Merges, rank = position in the list.
  const auto& merges = detail::require_array(f, "tokenizer.ggml.merges", gguf::ValueType::STRING);
  v.merges.reserve(merges.size());
  std::string joined;
  for (std::size_t r = 0; r < merges.size(); ++r) {
    const std::string& m = merges[r].s;
    const auto bad = [&](const std::string& why) {
      return Error(f.path(), "tokenizer.ggml.merges",
                   "merge #" + std::to_string(r) + " " + detail::quoted(m) + ": " + why);
    };
    const std::size_t space = m.empty() ? std::string::npos : m.find(' ', 1);
    if (space == std::string::npos || space + 1 >= m.size() || m.find(' ', space + 1) != std::string::npos)
      throw bad("expected 'LEFT RIGHT' (two non-empty texts, one space)");
    const std::string_view left = std::string_view(m).substr(0, space), right = std::string_view(m).substr(space + 1);
    const std::int32_t l = v.find(left), rr = v.find(right);
    if (l < 0) throw bad("expected a known left token, found unknown " + detail::quoted(left));
    if (rr < 0) throw bad("expected a known right token, found unknown " + detail::quoted(right));
    joined.assign(left);
    joined += right;
    const std::int32_t merged = v.find(joined);
    if (merged < 0) throw bad("expected the merged text " + detail::quoted(joined) + " to be a token, found none");
    v.merges.insert(l, rr, {static_cast<std::int32_t>(r), merged});  // a repeated pair keeps its first rank
  }

  // Special ids.
  v.eos = *detail::token_id_key(f, "tokenizer.ggml.eos_token_id", n, true);
  v.bos = detail::token_id_key(f, "tokenizer.ggml.bos_token_id", n, false);
  // End of generation: eos plus the Qwen turn/document enders llama.cpp
  // also stops at.
  v.eog.push_back(v.eos);
  for (const char* t : {"<|im_end|>", "<|endoftext|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"})
    if (const std::int32_t id = v.find(t); id >= 0) v.eog.push_back(id);
  std::sort(v.eog.begin(), v.eog.end());
  v.eog.erase(std::unique(v.eog.begin(), v.eog.end()), v.eog.end());
  return v;
}

}  // namespace qvk::tokenizer
