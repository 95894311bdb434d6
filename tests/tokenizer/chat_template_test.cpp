// Qwen3's chat template. Expected strings were rendered from the
// tokenizer.chat_template of data/qwen-vocab/ggml-vocab-qwen3.gguf with
// jinja2 3.1.6 (add_generation_prompt / enable_thinking as named).
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "qvk/tokenizer/chat_template.hpp"
#include "test_support.hpp"

namespace qvk::tokenizer {
namespace {

const std::vector<ChatMessage> kSystemUser = {{"system", "You are a helpful assistant.", {}}, {"user", "Hello!", {}}};

TEST(ChatTemplate, RendersSystemAndUserWithThinkingOn) {
  EXPECT_EQ(render_chat(kSystemUser, {.add_generation_prompt = true, .enable_thinking = true}),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nHello!<|im_end|>\n"
            "<|im_start|>assistant\n");
}

TEST(ChatTemplate, AppendsEmptyThinkBlockWhenThinkingIsOff) {
  EXPECT_EQ(render_chat(kSystemUser, {.add_generation_prompt = true, .enable_thinking = false}),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nHello!<|im_end|>\n"
            "<|im_start|>assistant\n<think>\n\n</think>\n\n");
}

TEST(ChatTemplate, OmitsGenerationPromptWhenNotAsked) {
  for (const bool think : {true, false})
    EXPECT_EQ(render_chat(kSystemUser, {.add_generation_prompt = false, .enable_thinking = think}),
              "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n");
}

TEST(ChatTemplate, DropsReasoningOfTurnsBeforeTheLastQuery) {
  const std::vector<ChatMessage> m = {{"system", "S", {}},
                                      {"user", "Q1", {}},
                                      {"assistant", "<think>\nR1\n</think>\n\nA1", {}},
                                      {"user", "Q2", {}}};
  EXPECT_EQ(render_chat(m),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n"
            "<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, KeepsReasoningAfterTheLastQueryAndGroupsToolResults) {
  const std::vector<ChatMessage> m = {{"user", "Q", {}},
                                      {"assistant", "<think>\nplan\n</think>\n\ncalling", {}},
                                      {"tool", "r1", {}},
                                      {"tool", "r2", {}},
                                      {"assistant", "done", "\nwhy\n"}};
  EXPECT_EQ(render_chat(m, {.add_generation_prompt = true, .enable_thinking = false}),
            "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\nplan\n</think>\n\ncalling<|im_end|>\n"
            "<|im_start|>user\n<tool_response>\nr1\n</tool_response>\n<tool_response>\nr2\n</tool_response><|im_end|>\n"
            "<|im_start|>assistant\n<think>\nwhy\n</think>\n\ndone<|im_end|>\n"
            "<|im_start|>assistant\n<think>\n\n</think>\n\n");
}

TEST(ChatTemplate, GivesTheLastAssistantTurnAnEmptyThinkBlock) {
  const std::vector<ChatMessage> m = {{"user", "Q", {}}, {"assistant", "A", {}}};
  EXPECT_EQ(render_chat(m, {.add_generation_prompt = false}),
            "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nA<|im_end|>\n");
}

TEST(ChatTemplate, RendersALaterSystemMessageAsItsOwnTurn) {
  const std::vector<ChatMessage> m = {{"user", "Hi", {}}, {"system", "S2", {}}, {"user", "Yo", {}}};
  EXPECT_EQ(render_chat(m),
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>system\nS2<|im_end|>\n<|im_start|>user\nYo<|im_end|>\n"
            "<|im_start|>assistant\n");
}

TEST(ChatTemplate, RejectsUnknownRole) {
  const std::vector<ChatMessage> m = {{"narrator", "x", {}}};
  EXPECT_THROW(render_chat(m), std::invalid_argument);
}

TEST(ChatTemplate, EncodesMarkersAsSingleSpecialTokens) {
  const Tokenizer& tok = testing::qwen3();
  const auto ids = tok.encode(render_chat(kSystemUser, {.enable_thinking = false}), /*parse_special=*/true);
  const auto count = [&](std::string_view t) { return std::count(ids.begin(), ids.end(), *tok.find_token(t)); };
  EXPECT_EQ(ids.front(), *tok.find_token("<|im_start|>"));
  EXPECT_EQ(count("<|im_start|>"), 3);
  EXPECT_EQ(count("<|im_end|>"), 2);
  EXPECT_EQ(count("<think>"), 1);
  EXPECT_EQ(count("</think>"), 1);
  EXPECT_EQ(tok.decode(ids), render_chat(kSystemUser, {.enable_thinking = false}));
}

}  // namespace
}  // namespace qvk::tokenizer
