// tests/runtime_vk/tiny_models.hpp — the small Qwen2/Qwen3 GGUFs the Vulkan
// runtime tests run (written once per build tree), their prompts, and a
// readable first difference between two logit arrays.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/model_writer.hpp"
#include "qvk/gguf/file.hpp"
#include "qvk/gguf/writer.hpp"
#include "qvk/model/presets.hpp"

namespace qvk::runtime_vk_test {

inline constexpr std::uint32_t kCtx = 128;

// The sanitizer build runs the same checks on shorter streams: ASan makes the
// CPU reference and the host side ~20x slower, and memory errors show within a
// few steps; the Release build of CI runs the full length.
inline constexpr bool kSanitized = QVK_SANITIZED != 0;
constexpr std::size_t stream_length(std::size_t full, std::size_t sanitized) { return kSanitized ? sanitized : full; }
// The test models' vocabularies: small, so the LM head (the slowest GEMV on
// lavapipe) stays cheap with logits at every position; not multiples of the
// GEMV's rows per workgroup. kBigVocab spans two argmax workgroups of 4,096.
inline constexpr std::uint32_t kVocab = 1031, kBigVocab = 4099;

// Under the build tree; where that does not exist (the test binary copied to a
// GPU machine), under the temporary folder. The vocabulary: QVK_VOCAB or the
// paths compiled in (tools::default_vocab).
inline std::filesystem::path models_dir() {
  std::filesystem::path dir = std::filesystem::path(QVK_BINARY_DIR) / "tests" / "runtime_vk" / "models";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    dir = std::filesystem::temp_directory_path() / "qvk_runtime_vk_models";
    std::filesystem::create_directories(dir);
  }
  return dir;
}

// The Qwen tokenizer metadata cut to the first kVocab tokens (the forward pass
// never reads the tokenizer; the model file must only be consistent).
inline std::filesystem::path small_vocab(std::uint32_t n) {
  const auto path = models_dir() / ("vocab_" + std::to_string(n) + ".gguf");
  if (std::filesystem::exists(path)) return path;
  const gguf::File real = gguf::File::open(tools::default_vocab());
  const auto tmp = path.string() + ".tmp";
  {
    gguf::Writer w(tmp);
    for (const gguf::KeyValue& kv : real.metadata()) {
      if (kv.key.rfind("tokenizer.", 0) != 0) continue;
      gguf::Value v = kv.value;
      if (kv.key == "tokenizer.ggml.tokens" || kv.key == "tokenizer.ggml.token_type") v.items.resize(n);
      if (kv.key.ends_with("_token_id")) v = gguf::Value::u32(n - 1);
      w.add_kv(kv.key, v);
    }
    w.write_header();
    w.finish();
  }
  std::filesystem::rename(tmp, path);
  return path;
}

// A 2-layer tiny model with the small vocabulary, written once per build tree
// (its own folder: other test programs may write theirs at the same time).
// Qwen3 gets Qwen3's head_dim of 128 (4 query heads, 2 kv heads: q_dim 512 !=
// hidden 256), Qwen2 keeps head_dim = hidden / heads = 64; ffn 512.
inline std::filesystem::path tiny_model(model::Arch arch, const std::string& mix, bool tied, std::uint32_t vocab = kVocab) {
  const auto path =
      models_dir() / (std::string(model::arch_name(arch)) + "_" + mix + (tied ? "_tied" : "_untied") + "_L2_V" +
                      std::to_string(vocab) + "_hd" + (arch == model::Arch::Qwen3 ? "128" : "64") + ".gguf");
  if (std::filesystem::exists(path)) return path;
  model::Config c = *model::find_preset(arch, "tiny");
  c.tied_embeddings = tied;
  c.layers = 2;
  c.vocab = vocab;
  c.ffn = 512;
  if (arch == model::Arch::Qwen3) c.head_dim = 128;
  const auto tmp = path.string() + ".tmp";
  tools::write_model(tmp, tools::WriteOptions{c, *model::find_mix(mix), "tiny", 1, small_vocab(vocab), 2, false});
  std::filesystem::rename(tmp, path);
  return path;
}

inline std::vector<std::int32_t> prompt_tokens(std::size_t n, std::uint32_t vocab) {
  std::vector<std::int32_t> t(n);
  for (std::size_t i = 0; i < n; ++i) t[i] = static_cast<std::int32_t>((i * 7919 + 13) % vocab);
  return t;
}

// First differing float of two logit arrays, as "[row r, id i]: gpu 0x…, cpu 0x…".
inline std::string first_mismatch(const std::vector<float>& gpu, const std::vector<float>& cpu, std::size_t vocab) {
  if (gpu.size() != cpu.size()) return "sizes " + std::to_string(gpu.size()) + " vs " + std::to_string(cpu.size());
  for (std::size_t i = 0; i < gpu.size(); ++i)
    if (std::bit_cast<std::uint32_t>(gpu[i]) != std::bit_cast<std::uint32_t>(cpu[i])) {
      char b[160];
      std::snprintf(b, sizeof b, "[row %zu, id %zu]: gpu 0x%08x (%.9g), cpu 0x%08x (%.9g)", i / vocab, i % vocab,
                    std::bit_cast<std::uint32_t>(gpu[i]), double(gpu[i]), std::bit_cast<std::uint32_t>(cpu[i]),
                    double(cpu[i]));
      return b;
    }
  return "";
}

}  // namespace qvk::runtime_vk_test
