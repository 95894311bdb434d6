// qvk/tokenizer/stream_decoder.hpp — turns generated token ids into text
// that is always valid UTF-8, as the tokens arrive.
//
// Byte-level tokens often end inside a character (an emoji is 4 bytes and
// may come as 2+2, or 3+1). push() returns only whole characters and keeps
// the start of an unfinished one until the next token completes it.
// Invalid bytes become U+FFFD: at once when a sequence is clearly ill-formed
// (a byte that starts no character, a lead byte followed by a wrong one, an
// overlong or surrogate form), or at flush() when the text ends inside a
// character. One U+FFFD per maximal ill-formed subpart (Unicode's
// recommended practice, as Python's errors="replace").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "qvk/tokenizer/detail/utf8.hpp"
#include "qvk/tokenizer/tokenizer.hpp"

namespace qvk::tokenizer {

class StreamDecoder {
 public:
  // The tokenizer must outlive the decoder. render_special as in Tokenizer::decode.
  explicit StreamDecoder(const Tokenizer& tok, bool render_special = true)
      : tok_(&tok), render_special_(render_special) {}

  // The complete characters now available (possibly empty).
  std::string push(std::int32_t id) { return push_bytes(tok_->token_piece(id, render_special_)); }
  // Same for raw bytes (not from a token).
  std::string push_bytes(std::string_view bytes);
  // Everything still held: an unfinished character becomes U+FFFD. The
  // decoder is then empty and can be reused.
  std::string flush();

  std::size_t pending_bytes() const { return pending_.size(); }

 private:
  const Tokenizer* tok_;
  bool render_special_;
  std::string pending_;  // at most 3 bytes: a valid start of one character
};

// ---- implementation --------------------------------------------------------

inline std::string StreamDecoder::push_bytes(std::string_view bytes) {
  pending_.append(bytes);
  std::string out;
  const std::string_view p = pending_;
  std::size_t i = 0;
  while (i < p.size()) {
    const detail::Utf8Scan sc = detail::scan_utf8(p.substr(i));
    if (sc.complete) {
      out.append(p.substr(i, sc.valid));
      i += sc.valid;
    } else if (i + sc.valid == p.size() && sc.valid > 0) {
      break;  // a valid start that runs to the end: wait for more bytes
    } else {
      detail::append_utf8(out, detail::kReplacementChar);
      i += sc.valid > 0 ? sc.valid : 1;  // the maximal ill-formed subpart
    }
  }
  pending_.erase(0, i);
  return out;
}

inline std::string StreamDecoder::flush() {
  std::string out;
  if (!pending_.empty()) detail::append_utf8(out, detail::kReplacementChar);
  pending_.clear();
  return out;
}

}  // namespace qvk::tokenizer
