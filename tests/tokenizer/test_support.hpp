// tests/tokenizer/test_support.hpp — vocab paths, a per-process tokenizer
// cache (loading a 152k-token vocab takes a while) and the test vector reader.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "qvk/gguf/file.hpp"
#include "qvk/tokenizer/tokenizer.hpp"

namespace qvk::tokenizer::testing {

// The committed Qwen3 vocabulary (always present).
inline std::filesystem::path qwen3_vocab_path() {
  return std::filesystem::path(QVK_SOURCE_DIR) / "data" / "qwen-vocab" / "ggml-vocab-qwen3.gguf";
}
// ggml-vocab-qwen2.gguf / ggml-vocab-qwen35.gguf from ../shared (may be absent).
inline std::filesystem::path shared_vocab_path(const std::string& name) {
  return std::filesystem::path(QVK_SHARED_VOCAB_DIR) / ("ggml-vocab-" + name + ".gguf");
}
inline std::filesystem::path vectors_path(const std::string& name, const char* ext) {
  return std::filesystem::path(QVK_TOKENIZER_DATA) / ("ggml-vocab-" + name + ".gguf" + ext);
}

// One tokenizer per (file, pre-tokenizer) per test process.
inline const Tokenizer& load_tokenizer(const std::filesystem::path& path,
                                       std::optional<PreTokenizer> pre = std::nullopt) {
  static std::map<std::pair<std::string, int>, std::unique_ptr<Tokenizer>> cache;
  const auto key = std::pair{path.string(), pre ? static_cast<int>(*pre) : -1};
  auto& slot = cache[key];
  if (!slot) {
    const gguf::File f = gguf::File::open(path);
    slot = std::make_unique<Tokenizer>(pre ? Tokenizer::from_gguf(f, *pre) : Tokenizer::from_gguf(f));
  }
  return *slot;
}
inline const Tokenizer& qwen3() { return load_tokenizer(qwen3_vocab_path()); }

inline std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct VocabVector {
  std::string input;
  std::vector<std::int32_t> ids;
};

// llama.cpp's tests/test-tokenizer-0 format: inputs separated by
// "\n__ggml_vocab_test__\n" (the file ends with one), expected ids one line
// per input, space separated.
inline std::vector<VocabVector> read_vectors(const std::string& name) {
  const std::string inp = read_all(vectors_path(name, ".inp"));
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> inputs;
  for (std::size_t pos = 0; pos < inp.size();) {
    const std::size_t next = inp.find(sep, pos);
    if (next == std::string::npos) {
      inputs.push_back(inp.substr(pos));
      break;
    }
    inputs.push_back(inp.substr(pos, next - pos));
    pos = next + sep.size();
  }
  std::istringstream out(read_all(vectors_path(name, ".out")));
  std::vector<VocabVector> vectors;
  std::string line;
  for (std::size_t k = 0; std::getline(out, line); ++k) {
    if (k >= inputs.size()) throw std::runtime_error("more output lines than inputs in " + name);
    VocabVector v{inputs[k], {}};
    std::istringstream ids(line);
    for (std::int32_t id; ids >> id;) v.ids.push_back(id);
    vectors.push_back(std::move(v));
  }
  if (vectors.size() != inputs.size()) throw std::runtime_error("inputs and outputs differ in count in " + name);
  return vectors;
}

inline std::string hex(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    out += digits[b >> 4];
    out += digits[b & 15];
    out += ' ';
  }
  return out;
}

}  // namespace qvk::tokenizer::testing
