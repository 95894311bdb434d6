// qvk/tokenizer/tokenizer.hpp — Qwen's byte-level BPE tokenizer, built from
// a GGUF file's metadata, giving the same ids as llama.cpp.
//
// encode: special tokens are cut out first (special_tokens.hpp), the text
// between them is split into words (pre_tokenizer.hpp) and each word is
// BPE-merged from its bytes (detail/bpe_merge.hpp). Nothing is added: no BOS
// (Qwen has none), no EOS.
//
// No Unicode normalization: HF's Qwen tokenizer applies NFC before splitting,
// llama.cpp does not, and qvk follows llama.cpp so that its ids match the
// GGUF peer for every input. Text that is already NFC (nearly all real text)
// gives the same ids either way; decomposed text ("e" + U+0301) keeps its
// code points and is tokenized as written.
//
// Ill-formed UTF-8 in the input: each byte of an ill-formed sequence becomes
// U+FFFD before splitting, as in llama.cpp (so such input does not round trip).
//
// decode: the concatenated bytes of the tokens' pieces (vocab.hpp), with no
// repair — a token may end inside a multi-byte character; use StreamDecoder
// (stream_decoder.hpp) to print tokens as they are generated.
//
// Encoding is thread-safe; words already seen are served from a shared,
// bounded cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "qvk/gguf/file.hpp"
#include "qvk/tokenizer/detail/bpe_merge.hpp"
#include "qvk/tokenizer/detail/utf8.hpp"
#include "qvk/tokenizer/pre_tokenizer.hpp"
#include "qvk/tokenizer/special_tokens.hpp"
#include "qvk/tokenizer/vocab.hpp"

namespace qvk::tokenizer {

class Tokenizer {
 public:
  static Tokenizer from_gguf(const gguf::File& f) { return Tokenizer(load_vocab(f)); }
  // Same, with the pre-tokenizer chosen by the caller instead of tokenizer.ggml.pre.
  static Tokenizer from_gguf(const gguf::File& f, PreTokenizer pre) { return Tokenizer(load_vocab(f, pre)); }
  explicit Tokenizer(Vocab vocab);

  // parse_special: also match CONTROL tokens (<|im_start|>, ...) in the text.
  // USER_DEFINED tokens (<think>, ...) are matched either way.
  std::vector<std::int32_t> encode(std::string_view text, bool parse_special) const;
  void encode(std::string_view text, bool parse_special, std::vector<std::int32_t>& out) const;  // appends

  // render_special = false drops CONTROL tokens' text (USER_DEFINED stays).
  // Throws std::out_of_range for an id outside the vocabulary.
  std::string decode(std::span<const std::int32_t> ids, bool render_special = true) const;
  std::string_view token_bytes(std::int32_t id) const;  // the piece, special text included
  std::string_view token_piece(std::int32_t id, bool render_special) const;

  std::int32_t n_tokens() const { return vocab_.size(); }
  std::string_view token_text(std::int32_t id) const { return vocab_.text(check(id)); }  // as stored in GGUF
  TokenType token_type(std::int32_t id) const { return vocab_.types[check(id)]; }
  std::optional<std::int32_t> find_token(std::string_view text) const;  // by stored text
  std::int32_t eos() const { return vocab_.eos; }
  std::optional<std::int32_t> bos() const { return vocab_.bos; }
  bool is_eog(std::int32_t id) const;  // ends a generation: eos, <|im_end|>, <|endoftext|>, ...
  const std::vector<std::int32_t>& eog_ids() const { return vocab_.eog; }
  PreTokenizer pre_tokenizer() const { return vocab_.pre; }
  const Vocab& vocab() const { return vocab_; }

  // The BPE of one word of raw bytes, bypassing splitting and the cache
  // (for tests and tools).
  std::vector<std::int32_t> bpe(std::string_view word) const;

 private:
  // Bounded map word bytes -> ids; cleared when full.
  struct WordCache {
    struct Hash {
      using is_transparent = void;
      std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    static constexpr std::size_t kMaxEntries = 1 << 16;
    static constexpr std::size_t kMaxWordBytes = 64;
    std::mutex mu;
    std::unordered_map<std::string, std::pair<std::uint32_t, std::uint32_t>, Hash, std::equal_to<>> words;
    std::vector<std::int32_t> ids;  // [offset, offset + count) per word
  };
  struct Scratch {
    explicit Scratch(PreTokenizer pre) : splitter(pre) {}
    WordSplitter splitter;
    std::vector<TextPiece> pieces;
    std::vector<std::int32_t> ids;
    detail::BpeScratch bpe;
    std::string fixed;
  };

  std::int32_t check(std::int32_t id) const {
    if (id < 0 || id >= vocab_.size())
      throw std::out_of_range("token id " + std::to_string(id) + " outside the vocabulary of " +
                              std::to_string(vocab_.size()));
    return id;
  }
  void encode_text(std::string_view text, std::vector<std::int32_t>& out, Scratch& s) const;
  void encode_word(std::string_view word, std::vector<std::int32_t>& out, Scratch& s) const;

  Vocab vocab_;
  SpecialTokenMatcher special_;
  std::unique_ptr<WordCache> cache_ = std::make_unique<WordCache>();
};

// ---- implementation --------------------------------------------------------

inline Tokenizer::Tokenizer(Vocab vocab) : vocab_(std::move(vocab)) {
  std::vector<SpecialTokenMatcher::Entry> entries;
  for (std::int32_t id = 0; id < vocab_.size(); ++id) {
    const TokenType t = vocab_.types[id];
    if (t == TokenType::kControl || t == TokenType::kUnknown || t == TokenType::kUserDefined)
      entries.push_back({std::string(vocab_.text(id)), id, t != TokenType::kUserDefined});
  }
  special_ = SpecialTokenMatcher(std::move(entries));
}

inline std::vector<std::int32_t> Tokenizer::encode(std::string_view text, bool parse_special) const {
  std::vector<std::int32_t> out;
  encode(text, parse_special, out);
  return out;
}

inline void Tokenizer::encode(std::string_view text, bool parse_special, std::vector<std::int32_t>& out) const {
  Scratch s(vocab_.pre);
  special_.partition(text, parse_special, s.pieces);
  for (const TextPiece& p : s.pieces) {
    if (p.token >= 0)
      out.push_back(p.token);
    else
      encode_text(text.substr(p.begin, p.end - p.begin), out, s);
  }
}

inline void Tokenizer::encode_text(std::string_view text, std::vector<std::int32_t>& out, Scratch& s) const {
  if (!detail::is_valid_utf8(text)) {
    s.fixed = detail::replace_ill_formed(text);
    text = s.fixed;
  }
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t end = s.splitter.word_end(text, i);
    encode_word(text.substr(i, end - i), out, s);
    i = end;
  }
}

inline void Tokenizer::encode_word(std::string_view word, std::vector<std::int32_t>& out, Scratch& s) const {
  if (word.size() == 1) {  // one byte: nothing to merge
    out.push_back(vocab_.byte_token[static_cast<unsigned char>(word[0])]);
    return;
  }
  const bool cacheable = word.size() <= WordCache::kMaxWordBytes;
  if (cacheable) {
    std::lock_guard lock(cache_->mu);
    if (auto it = cache_->words.find(word); it != cache_->words.end()) {
      const auto [offset, count] = it->second;
      out.insert(out.end(), cache_->ids.begin() + offset, cache_->ids.begin() + offset + count);
      return;
    }
  }
  s.ids.clear();
  for (const char c : word) s.ids.push_back(vocab_.byte_token[static_cast<unsigned char>(c)]);
  detail::bpe_merge(s.ids, vocab_.merges, s.bpe);
  out.insert(out.end(), s.ids.begin(), s.ids.end());
  if (cacheable) {
    std::lock_guard lock(cache_->mu);
    if (cache_->words.size() >= WordCache::kMaxEntries) {
      cache_->words.clear();
      cache_->ids.clear();
    }
    const auto offset = static_cast<std::uint32_t>(cache_->ids.size());
    if (cache_->words.emplace(std::string(word), std::pair{offset, static_cast<std::uint32_t>(s.ids.size())}).second)
      cache_->ids.insert(cache_->ids.end(), s.ids.begin(), s.ids.end());
  }
}

inline std::vector<std::int32_t> Tokenizer::bpe(std::string_view word) const {
  std::vector<std::int32_t> ids;
  for (const char c : word) ids.push_back(vocab_.byte_token[static_cast<unsigned char>(c)]);
  detail::BpeScratch scratch;
  detail::bpe_merge(ids, vocab_.merges, scratch);
  return ids;
}

inline std::string Tokenizer::decode(std::span<const std::int32_t> ids, bool render_special) const {
  std::string out;
  for (const std::int32_t id : ids) out += token_piece(id, render_special);
  return out;
}

inline std::string_view Tokenizer::token_bytes(std::int32_t id) const { return vocab_.piece(check(id)); }

inline std::string_view Tokenizer::token_piece(std::int32_t id, bool render_special) const {
  const TokenType t = vocab_.types[check(id)];
  if (!render_special && (t == TokenType::kControl || t == TokenType::kUnknown)) return {};
  return vocab_.piece(id);
}

inline std::optional<std::int32_t> Tokenizer::find_token(std::string_view text) const {
  const std::int32_t id = vocab_.find(text);
  return id >= 0 ? std::optional<std::int32_t>(id) : std::nullopt;
}

inline bool Tokenizer::is_eog(std::int32_t id) const {
  return std::binary_search(vocab_.eog.begin(), vocab_.eog.end(), id);
}

}  // namespace qvk::tokenizer
