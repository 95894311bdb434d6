// tests/gguf/test_files.hpp — per-test scratch folders in the build tree and
// whole-file reads/writes. Each test gets its own folder (ctest may run tests
// in parallel).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace qvk::gguf::testing {

inline std::filesystem::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  std::replace(name.begin(), name.end(), '/', '_');  // parameterized tests: "Suite/Test/Param"
  std::filesystem::path dir = std::filesystem::path(QVK_BINARY_DIR) / "tests" / "gguf" / "scratch" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline void write_file(const std::filesystem::path& p, std::string_view bytes) {
  // Unlink first: truncating an existing file makes ext4 flush it on close
  // (auto_da_alloc), which made the robustness tests disk-bound.
  std::filesystem::remove(p);
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::filesystem::path vocab_path() {
  return std::filesystem::path(QVK_SOURCE_DIR) / "data" / "qwen-vocab" / "ggml-vocab-qwen3.gguf";
}

}  // namespace qvk::gguf::testing
