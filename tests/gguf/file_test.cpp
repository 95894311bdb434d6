// File::open on paths that are not GGUF files at all, GGUF v2, tensor layouts
// that are unusual but valid, and moves of an open File.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "gguf_bytes.hpp"
#include "qvk/gguf/file.hpp"
#include "test_files.hpp"

namespace qvk::gguf {
namespace {

using namespace testing;

void expect_open_error(const std::filesystem::path& path, const std::string& item, const std::string& detail) {
  try {
    File::open(path);
    ADD_FAILURE() << "expected Error containing '" << detail << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.file(), path.string());
    EXPECT_EQ(e.item(), item);
    EXPECT_NE(e.detail().find(detail), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

TEST(GgufFile, RejectsMissingPathNamingIt) {
  expect_open_error(scratch_dir() / "absent.gguf", "file", "No such file or directory");
}

TEST(GgufFile, RejectsDirectory) { expect_open_error(scratch_dir(), "file", "found a directory"); }

TEST(GgufFile, RejectsEmptyFile) {
  const auto path = scratch_dir() / "empty.gguf";
  write_file(path, "");
  expect_open_error(path, "header", "found an empty file");
}

TEST(GgufFile, AcceptsVersion2) {
  const auto path = scratch_dir() / "v2.gguf";
  write_file(path, Bytes().header(2, 0, 1).kv_u32("k", 5).bytes());
  const File f = File::open(path);
  EXPECT_EQ(f.version(), 2u);
  EXPECT_EQ(f.find("k")->u, 5u);
}

TEST(GgufFile, AcceptsTensorsOutOfOffsetOrderWithGaps) {
  // llama.cpp writes tensors back to back; the format only requires aligned,
  // non-overlapping, in-file data, so a reordered layout with a gap is valid.
  const auto path = scratch_dir() / "gaps.gguf";
  Bytes b;
  b.header(3, 2, 0).tensor_info("late", {8}, kTypeF32, 96).tensor_info("early", {8}, kTypeF32, 0).pad_to(32);
  const std::size_t data_start = b.size();
  b.zeros(128);
  std::string bytes = b.bytes();
  bytes[data_start + 96] = 'L';
  bytes[data_start] = 'E';
  write_file(path, bytes);
  const File f = File::open(path);
  EXPECT_EQ(f.data_offset(), data_start);
  EXPECT_EQ(static_cast<char>(f.data(*f.tensor("late"))[0]), 'L');
  EXPECT_EQ(static_cast<char>(f.data(*f.tensor("early"))[0]), 'E');
  EXPECT_EQ(f.tensors()[0].name, "late");  // file order kept
}

TEST(GgufFile, AcceptsTensorEndingExactlyAtEndOfFile) {
  const auto path = scratch_dir() / "exact.gguf";
  Bytes b;
  b.header(3, 1, 0).tensor_info("w", {3}, kTypeF32, 0).pad_to(32).zeros(12);  // no trailing padding
  write_file(path, b.bytes());
  const File f = File::open(path);
  EXPECT_EQ(f.data(f.tensors()[0]).size(), 12u);
  EXPECT_EQ(f.tensors()[0].shape_string(), "[3]");
}

TEST(GgufFile, MovedFileKeepsItsMappingAndIndexes) {
  const auto dir = scratch_dir();
  Bytes b;
  b.header(3, 1, 1).kv_str("general.name", "moved").tensor_info("w", {4, 2}, kTypeF32, 0).pad_to(32).zeros(32);
  std::string bytes = b.bytes();
  bytes[bytes.size() - 32] = 'x';
  write_file(dir / "a.gguf", bytes);
  write_file(dir / "b.gguf", Bytes().header(3, 0, 0).bytes());

  File a = File::open(dir / "a.gguf");
  File moved(std::move(a));
  EXPECT_EQ(*moved.find("general.name")->as_string(), "moved");
  EXPECT_EQ(static_cast<char>(moved.data(*moved.tensor("w"))[0]), 'x');
  EXPECT_EQ(moved.tensor("w")->shape_string(), "[4, 2]");

  File other = File::open(dir / "b.gguf");
  other = std::move(moved);  // unmaps b, takes a's mapping
  EXPECT_EQ(other.path(), (dir / "a.gguf").string());
  EXPECT_EQ(static_cast<char>(other.data(*other.tensor("w"))[0]), 'x');
}

TEST(GgufFile, DataRejectsATensorInfoThatIsNotFromThisFile) {
  const auto path = scratch_dir() / "one.gguf";
  Bytes b;
  b.header(3, 1, 0).tensor_info("w", {8}, kTypeF32, 0).pad_to(32).zeros(32);
  write_file(path, b.bytes());
  const File f = File::open(path);
  TensorInfo foreign = f.tensors()[0];
  foreign.offset = 1 << 20;
  EXPECT_THROW(f.data(foreign), Error);
}

}  // namespace
}  // namespace qvk::gguf
