// examples/example_generate/default_model.hpp — the demo model: a
// Qwen3-0.6B-shaped Q4_K_M GGUF with seeded weights and the real tokenizer,
// written on first use so the README demo works on a fresh machine.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "common/model_writer.hpp"
#include "qvk/model/presets.hpp"

namespace qvk::example {

inline std::filesystem::path default_model_path() {
  if (const char* env = std::getenv("QVK_DEFAULT_MODEL")) return env;
  return QVK_DEFAULT_MODEL_PATH;
}

// Writes the default model if it does not exist yet; returns its path.
inline std::filesystem::path ensure_default_model(unsigned threads) {
  const std::filesystem::path p = default_model_path();
  if (std::filesystem::exists(p)) return p;
  std::fprintf(stderr, "example_generate: first run: writing the demo model %s (qwen3 0.6b q4_k_m, seed 1)\n",
               p.c_str());
  std::filesystem::create_directories(p.parent_path());
  tools::WriteOptions o{*model::find_preset(model::Arch::Qwen3, "0.6b"), *model::find_mix("q4_k_m"), "0.6b", 1,
                        tools::default_vocab(), threads, true};
  tools::write_model(p, o);
  return p;
}

}  // namespace qvk::example
