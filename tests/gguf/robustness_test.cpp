// Hostile input: a valid file truncated at every byte, and corrupted at many
// seeded positions, must either open or throw qvk::gguf::Error — never crash,
// read out of bounds (CI runs this under ASan+UBSan) or throw anything else
// (bad_alloc or length_error would mean an unchecked count reached an
// allocation).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

#include "qvk/gguf/file.hpp"
#include "qvk/gguf/writer.hpp"
#include "test_files.hpp"

namespace qvk::gguf {
namespace {

using namespace testing;

// A small file exercising every part of the format: scalars, strings, nested
// arrays, a custom alignment and tensors of several types.
std::string small_valid_file(const std::filesystem::path& path) {
  Writer w(path, 64);
  w.add_kv("general.architecture", Value::str("qwen3"));
  w.add_kv("general.alignment", Value::u32(64));
  w.add_kv("b", Value::boolean(true));
  w.add_kv("f", Value::f32(0.5f));
  w.add_kv("tokens", Value::array(ValueType::STRING, {Value::str("a"), Value::str("bc"), Value::str("<think>")}));
  w.add_kv("nested", Value::array(ValueType::ARRAY, {Value::array(ValueType::INT16, {Value::i16(-3)}),
                                                     Value::array(ValueType::BOOL, {Value::boolean(false)})}));
  w.add_kv("u64", Value::u64(1));
  w.add_tensor("a", quant::Type::F32, {4, 2});
  w.add_tensor("b", quant::Type::Q4_0, {32});
  w.add_tensor("c", quant::Type::Q8_0, {64});
  w.write_header();
  for (const TensorInfo& t : w.tensors()) {
    std::vector<std::byte> data(static_cast<std::size_t>(t.n_bytes), std::byte{0x5a});
    w.write_data(data);
  }
  w.finish();
  return read_file(path);
}

// Opens `bytes` (written to `path`); returns true if it opened. Any exception
// other than Error fails the test. A file that opens is fully read back.
bool open_or_error(const std::filesystem::path& path, const std::string& bytes, const std::string& what) {
  write_file(path, bytes);
  try {
    const File f = File::open(path);
    std::size_t sum = 0;
    for (const KeyValue& kv : f.metadata()) sum += kv.value.describe().size();
    for (const TensorInfo& t : f.tensors())
      for (std::byte b : f.data(t)) sum += static_cast<std::size_t>(b);
    volatile std::size_t sink = sum;  // keep the reads
    (void)sink;
    return true;
  } catch (const Error& e) {
    EXPECT_EQ(e.file(), path.string()) << what;
    return false;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": threw a non-Error exception: " << e.what();
    return false;
  }
}

TEST(GgufRobustness, EveryTruncationOpensOrThrowsError) {
  const auto dir = scratch_dir();
  const std::string valid = small_valid_file(dir / "valid.gguf");
  ASSERT_TRUE(open_or_error(dir / "t.gguf", valid, "untruncated"));
  int opened = 0;
  for (std::size_t n = 0; n < valid.size(); ++n)
    opened += open_or_error(dir / "t.gguf", valid.substr(0, n), "truncated to " + std::to_string(n)) ? 1 : 0;
  // Only cuts inside the last tensor's trailing padding can still be valid.
  EXPECT_LT(opened, 64);
  std::printf("%zu truncations, %d still valid\n", valid.size(), opened);
}

TEST(GgufRobustness, EveryHeaderByteSetToExtremesOpensOrThrowsError) {
  const auto dir = scratch_dir();
  const std::string valid = small_valid_file(dir / "valid.gguf");
  const std::uint64_t header_end = File::open(dir / "valid.gguf").data_offset();
  int rejected = 0;
  for (std::size_t p = 0; p < header_end; ++p) {
    const auto original = static_cast<unsigned char>(valid[p]);
    const unsigned char values[] = {0x00, 0xff, 0x80, 0x7f, static_cast<unsigned char>(original ^ 1u)};
    for (unsigned char v : values) {
      if (original == v) continue;
      std::string bytes = valid;
      bytes[p] = static_cast<char>(v);
      rejected += open_or_error(dir / "m.gguf", bytes, "byte " + std::to_string(p) + " = " + std::to_string(v)) ? 0 : 1;
    }
  }
  EXPECT_GT(rejected, 0);
}

TEST(GgufRobustness, SeededRandomCorruptionsOpenOrThrowError) {
  const std::uint32_t kSeed = 0x9e3779b9;
  std::printf("seed %u\n", kSeed);
  std::mt19937 rng(kSeed);
  const auto dir = scratch_dir();
  const std::string valid = small_valid_file(dir / "valid.gguf");
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bytes = valid;
    const int flips = 1 + static_cast<int>(rng() % 4);
    std::string what = "trial " + std::to_string(trial) + ":";
    for (int k = 0; k < flips; ++k) {
      const std::size_t p = rng() % bytes.size();
      const auto v = static_cast<char>(rng() & 0xff);
      bytes[p] = v;
      what += " [" + std::to_string(p) + "]=" + std::to_string(static_cast<unsigned char>(v));
    }
    if (trial % 4 == 0) bytes.resize(rng() % bytes.size());  // corrupt and truncate
    open_or_error(dir / "r.gguf", bytes, what);
  }
}

}  // namespace
}  // namespace qvk::gguf
