// qvk/tokenizer/chat_template.hpp — Qwen3's chat template (ChatML with the
// thinking switch), rendered in C++ without a Jinja engine.
//
// Output is what the `tokenizer.chat_template` of Qwen3's tokenizer_config
// renders for the same messages (without tools), to be encoded with
// parse_special = true:
//
//   <|im_start|>system\nSYSTEM<|im_end|>\n      only for a system message first
//   <|im_start|>user\nUSER<|im_end|>\n
//   <|im_start|>assistant\nANSWER<|im_end|>\n   see below for <think>
//   <|im_start|>user\n<tool_response>\nRESULT\n</tool_response><|im_end|>\n
//                                               "tool" messages; consecutive ones
//                                               share one user turn
//   <|im_start|>assistant\n                     the generation prompt, and with
//   <think>\n\n</think>\n\n                     thinking disabled (enable_thinking
//                                               = false, --no-think) this empty
//                                               block, which tells Qwen3 to answer
//                                               without reasoning
//
// Assistant turns: the reasoning is `reasoning_content` when given, else the
// text between <think> and </think> in the content (the content then being
// what follows the last </think>). Turns after the last real user query (the
// agent loop in progress) keep their reasoning as
// "<think>\nREASONING\n</think>\n\nANSWER"; earlier turns are rendered with
// the answer only — Qwen3 drops old reasoning from the context. A system
// message in any other place renders like a user turn. Other roles throw
// std::invalid_argument. The template's tool declarations and assistant
// tool_calls are not supported.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace qvk::tokenizer {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant", "tool"
  std::string content;
  std::optional<std::string> reasoning_content;  // assistant only
};

struct ChatOptions {
  bool add_generation_prompt = true;
  bool enable_thinking = true;
};

std::string render_chat(std::span<const ChatMessage> messages, const ChatOptions& options = {});

// ---- implementation --------------------------------------------------------

namespace detail {

// Python's str.strip/lstrip/rstrip('\n').
inline std::string_view lstrip_newlines(std::string_view s) {
  while (!s.empty() && s.front() == '\n') s.remove_prefix(1);
  return s;
}
inline std::string_view rstrip_newlines(std::string_view s) {
  while (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  return s;
}
inline std::string_view strip_newlines(std::string_view s) { return rstrip_newlines(lstrip_newlines(s)); }

inline bool is_tool_response(std::string_view s) {
  return s.starts_with("<tool_response>") && s.ends_with("</tool_response>");
}

}  // namespace detail

inline std::string render_chat(std::span<const ChatMessage> messages, const ChatOptions& options) {
  using namespace std::string_view_literals;
  std::string out;
  const std::size_t n = messages.size();
  if (n > 0 && messages[0].role == "system") out += "<|im_start|>system\n" + messages[0].content + "<|im_end|>\n";

  // The last user message that is a real query, not a wrapped tool result.
  std::size_t last_query = n == 0 ? 0 : n - 1;
  for (std::size_t k = n; k-- > 0;) {
    if (messages[k].role == "user" && !detail::is_tool_response(messages[k].content)) {
      last_query = k;
      break;
    }
  }

  for (std::size_t k = 0; k < n; ++k) {
    const ChatMessage& m = messages[k];
    if (m.role == "user" || (m.role == "system" && k != 0)) {
      out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
    } else if (m.role == "system") {
      // first message: rendered above
    } else if (m.role == "assistant") {
      std::string_view content = m.content;
      std::string_view reasoning;
      if (m.reasoning_content) {
        reasoning = *m.reasoning_content;
      } else if (const std::size_t close = content.find("</think>"); close != std::string_view::npos) {
        const std::string_view before = detail::rstrip_newlines(content.substr(0, close));
        const std::size_t open = before.rfind("<think>");
        reasoning = detail::lstrip_newlines(open == std::string_view::npos ? before : before.substr(open + 7));
        content = detail::lstrip_newlines(content.substr(content.rfind("</think>") + 8));
      }
      out += "<|im_start|>assistant\n";
      if (k > last_query && (k + 1 == n || !reasoning.empty())) {
        out += "<think>\n"sv;
        out += detail::strip_newlines(reasoning);
        out += "\n</think>\n\n"sv;
        out += detail::lstrip_newlines(content);
      } else {
        out += content;
      }
      out += "<|im_end|>\n"sv;
    } else if (m.role == "tool") {
      if (k == 0 || messages[k - 1].role != "tool") out += "<|im_start|>user"sv;
      out += "\n<tool_response>\n" + m.content + "\n</tool_response>";
      if (k + 1 == n || messages[k + 1].role != "tool") out += "<|im_end|>\n"sv;
    } else {
      throw std::invalid_argument("render_chat: unknown role '" + m.role + "' (expected system, user, assistant or tool)");
    }
  }
  if (options.add_generation_prompt) {
    out += "<|im_start|>assistant\n"sv;
    if (!options.enable_thinking) out += "<think>\n\n</think>\n\n"sv;
  }
  return out;
}

}  // namespace qvk::tokenizer
