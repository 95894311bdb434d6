// Writer misuse: every wrong call throws Error naming the file and the item,
// and nothing invalid reaches the file.
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "qvk/gguf/file.hpp"
#include "qvk/gguf/writer.hpp"
#include "test_files.hpp"

namespace qvk::gguf {
namespace {

using testing::scratch_dir;

// Runs `f`, expects Error whose message names the writer's path, `item` and
// contains `detail`.
template <class F>
void expect_error(F&& f, const std::filesystem::path& path, const std::string& item, const std::string& detail) {
  try {
    f();
    ADD_FAILURE() << "expected Error containing '" << detail << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.file(), path.string());
    EXPECT_EQ(e.item(), item);
    EXPECT_NE(e.detail().find(detail), std::string::npos) << e.what();
  }
}

std::vector<std::byte> zeros(std::size_t n) { return std::vector<std::byte>(n); }

TEST(GgufWriter, RejectsAlignmentThatIsNotAPowerOfTwo) {
  const auto path = scratch_dir() / "w.gguf";
  expect_error([&] { Writer w(path, 48); }, path, "alignment", "power of two");
  expect_error([&] { Writer w(path, 0); }, path, "alignment", "power of two");
  expect_error([&] { Writer w(path, std::uint64_t{1} << 32); }, path, "alignment", "power of two up to 2^31");
}

TEST(GgufWriter, RejectsDuplicateAndEmptyKeys) {
  const auto path = scratch_dir() / "w.gguf";
  Writer w(path);
  w.add_kv("k", Value::u32(1));
  expect_error([&] { w.add_kv("k", Value::u32(2)); }, path, "k", "expected a unique key");
  expect_error([&] { w.add_kv("", Value::u32(2)); }, path, "metadata kv #1", "non-empty key");
}

TEST(GgufWriter, RejectsValuesOutsideTheirTypesRange) {
  const auto path = scratch_dir() / "w.gguf";
  Writer w(path);
  Value v = Value::u8(0);
  v.u = 256;
  expect_error([&] { w.add_kv("u8", v); }, path, "u8", "range of uint8");
  Value i = Value::i32(0);
  i.i = std::int64_t{1} << 31;
  expect_error([&] { w.add_kv("i32", i); }, path, "i32", "range of int32");
  Value b = Value::boolean(false);
  b.u = 2;
  expect_error([&] { w.add_kv("b", b); }, path, "b", "bool value of 0 or 1, found 2");
  Value f = Value::f64(0.1);  // 0.1 as a double is no float32
  f.type = ValueType::FLOAT32;
  expect_error([&] { w.add_kv("f", f); }, path, "f", "exactly representable");
  Value bad_type;
  bad_type.type = static_cast<ValueType>(13);
  expect_error([&] { w.add_kv("t", bad_type); }, path, "t", "known value type id");
}

TEST(GgufWriter, RejectsArraysWhoseElementsDoNotMatchTheirType) {
  const auto path = scratch_dir() / "w.gguf";
  Writer w(path);
  expect_error([&] { w.add_kv("a", Value::array(ValueType::UINT32, {Value::u32(1), Value::i32(2)})); }, path, "a",
               "expected array elements of type uint32, found int32 at index 1");
  Value deep = Value::array(ValueType::UINT8, {});
  for (int d = 1; d <= kMaxArrayDepth; ++d) deep = Value::array(ValueType::ARRAY, {deep});
  expect_error([&] { w.add_kv("deep", deep); }, path, "deep", "nested at most 8 deep");
}

TEST(GgufWriter, RejectsInvalidTensorShapes) {
  const auto path = scratch_dir() / "w.gguf";
  Writer w(path);
  expect_error([&] { w.add_tensor("q", quant::Type::Q4_K, {100, 2}); }, path, "tensor 'q'",
               "multiple of the block size 256 of Q4_K, found 100");
  expect_error([&] { w.add_tensor("z", quant::Type::F32, {4, 0}); }, path, "tensor 'z'", "dims[1] = 0");
  expect_error([&] { w.add_tensor("d0", quant::Type::F32, {}); }, path, "tensor 'd0'", "1 to 4 dimensions, found 0");
  expect_error([&] { w.add_tensor("d5", quant::Type::F32, {1, 1, 1, 1, 1}); }, path, "tensor 'd5'",
               "1 to 4 dimensions, found 5");
  expect_error([&] { w.add_tensor("big", quant::Type::F32, {std::uint64_t{1} << 40, std::uint64_t{1} << 40}); }, path,
               "tensor 'big'", "element count below 2^63");
  expect_error([&] { w.add_tensor("t", static_cast<quant::Type>(77), {32}); }, path, "tensor 't'", "known GGML type");
  expect_error([&] { w.add_tensor("", quant::Type::F32, {32}); }, path, "tensor info #0", "non-empty tensor name");
  w.add_tensor("w", quant::Type::F32, {32});
  expect_error([&] { w.add_tensor("w", quant::Type::F32, {32}); }, path, "tensor 'w'", "unique tensor name");
}

TEST(GgufWriter, RequiresAlignmentKeyToMatchAndToBePresentForNonDefaultAlignment) {
  const auto dir = scratch_dir();
  {
    Writer w(dir / "a.gguf", 64);
    expect_error([&] { w.add_kv("general.alignment", Value::u32(32)); }, dir / "a.gguf", "general.alignment",
                 "expected uint32 64");
    expect_error([&] { w.add_kv("general.alignment", Value::u64(64)); }, dir / "a.gguf", "general.alignment",
                 "expected uint32 64");
    expect_error([&] { w.write_header(); }, dir / "a.gguf", "general.alignment", "found it missing");
  }
  {
    Writer w(dir / "b.gguf");  // the default needs no key, but may state it
    w.add_kv("general.alignment", Value::u32(32));
    w.write_header();
    w.finish();
    EXPECT_EQ(File::open(dir / "b.gguf").alignment(), 32u);
  }
}

TEST(GgufWriter, RejectsCallsOutOfOrder) {
  const auto path = scratch_dir() / "w.gguf";
  Writer w(path);
  w.add_tensor("a", quant::Type::F32, {8});
  w.add_tensor("b", quant::Type::F32, {4});
  expect_error([&] { w.write_data(zeros(4)); }, path, "tensor data", "write_header before write_data");
  expect_error([&] { w.finish(); }, path, "header", "write_header before finish");
  w.write_header();
  expect_error([&] { w.write_header(); }, path, "header", "one write_header call");
  expect_error([&] { w.add_kv("late", Value::u8(1)); }, path, "late", "add_kv before write_header");
  expect_error([&] { w.add_tensor("late", quant::Type::F32, {1}); }, path, "tensor 'late'",
               "add_tensor before write_header");
  w.write_data(zeros(20));
  // One call may not spill into the next tensor: 12 bytes left in 'a'.
  expect_error([&] { w.write_data(zeros(13)); }, path, "tensor 'a'", "at most 12 more bytes");
  w.write_data(zeros(12));
  expect_error([&] { w.finish(); }, path, "tensor 'b'", "expected 16 bytes of data before finish, found 0");
  w.write_data(zeros(16));
  expect_error([&] { w.write_data(zeros(1)); }, path, "tensor data", "all 2 tensors are complete");
  w.finish();
  expect_error([&] { w.finish(); }, path, "file", "one finish call");
  const File f = File::open(path);
  EXPECT_EQ(f.tensors().size(), 2u);
}

TEST(GgufWriter, TotalBytesIsKnownBeforeTheHeaderIsWritten) {
  const auto path = scratch_dir() / "w.gguf";
  Writer w(path, 64);
  w.add_kv("general.alignment", Value::u32(64));
  w.add_tensor("a", quant::Type::Q4_0, {32});  // 18 bytes, padded to 64
  w.add_tensor("b", quant::Type::F32, {16});   // 64 bytes
  const std::uint64_t predicted = w.total_bytes();
  EXPECT_EQ(w.tensors()[1].offset, 64u);
  w.write_header();
  w.write_data(zeros(18));
  w.write_data(zeros(64));
  w.finish();
  EXPECT_EQ(std::filesystem::file_size(path), predicted);
}

TEST(GgufWriter, ReportsAPathThatCannotBeOpened) {
  const auto dir = scratch_dir();
  Writer w(dir / "no_such_folder" / "x.gguf");
  expect_error([&] { w.write_header(); }, dir / "no_such_folder" / "x.gguf", "file", "opened for writing");
}

}  // namespace
}  // namespace qvk::gguf
