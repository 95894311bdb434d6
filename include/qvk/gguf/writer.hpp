// qvk/gguf/writer.hpp — streaming GGUF v3 writer.
//
// Metadata and tensor infos are declared first; `write_header` computes every
// tensor's aligned offset from its type and dims and writes the header; tensor
// data is then streamed in declaration order with `write_data` (any chunking,
// but one call never spans two tensors), so multi-GB files are written with
// small memory. `finish` checks every declared byte was written and closes the
// file. Misuse (data before header, too many bytes for a tensor, unfinished
// tensors, declarations after the header, invalid values or shapes) throws
// Error naming the file and the key/tensor.
//
// Layout (the same as gguf-py and llama.cpp write): header, zero padding to
// the alignment, then each tensor followed by zero padding to the alignment
// (also after the last one).
//
// `general.alignment`: the writer adds no metadata of its own, so a file's
// keys are exactly the caller's. If the caller adds `general.alignment` it
// must be a uint32 equal to the writer's alignment; with an alignment other
// than the default 32 the key is required (readers would assume 32 without
// it), and `write_header` throws if it is missing.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "qvk/gguf/detail/checked.hpp"
#include "qvk/gguf/detail/encode.hpp"
#include "qvk/gguf/detail/tensor_shape.hpp"
#include "qvk/gguf/error.hpp"
#include "qvk/gguf/file.hpp"
#include "qvk/gguf/value.hpp"
#include "qvk/quant/type.hpp"

namespace qvk::gguf {

class Writer {
 public:
  explicit Writer(std::filesystem::path path, std::uint64_t alignment = kDefaultAlignment);

  void add_kv(std::string key, Value value);  // duplicate key → Error
  // dims in GGML order (dims[0] innermost); dims[0] must be a multiple of the block size.
  void add_tensor(std::string name, quant::Type type, std::vector<std::uint64_t> dims);

  void write_header();
  void write_data(std::span<const std::byte> bytes);  // appends to the current tensor
  void finish();

  std::uint64_t total_bytes() const;  // whole file size for what is declared so far
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  std::uint64_t alignment() const { return alignment_; }

 private:
  [[noreturn]] void fail(const std::string& item, const std::string& detail) const {
    throw Error(path_.string(), item, detail);
  }
  void require_declaring(const std::string& item, const char* call) const;
  void write_zeros(std::uint64_t n);
  void check_stream(const std::string& item);
  std::uint64_t header_bytes() const;

  std::filesystem::path path_;
  std::uint64_t alignment_;
  std::vector<KeyValue> kvs_;
  std::vector<TensorInfo> tensors_;
  std::ofstream out_;
  std::uint64_t data_start_ = 0;
  std::size_t current_ = 0;
  std::uint64_t written_in_current_ = 0;
  bool header_written_ = false;
  bool finished_ = false;
  std::uint64_t data_bytes_ = 0;  // padded data section size so far
  std::unordered_set<std::string> keys_, names_;
};

// ---- implementation --------------------------------------------------------

inline Writer::Writer(std::filesystem::path path, std::uint64_t alignment)
    : path_(std::move(path)), alignment_(alignment) {
  // general.alignment is a uint32 in the file, so larger values cannot be stated.
  if (!detail::is_power_of_two(alignment_) || alignment_ > (std::uint64_t{1} << 31))
    fail("alignment", "expected a nonzero power of two up to 2^31, found " + std::to_string(alignment_));
}

inline void Writer::require_declaring(const std::string& item, const char* call) const {
  if (header_written_) fail(item, std::string("expected ") + call + " before write_header, found it after");
}

inline void Writer::add_kv(std::string key, Value value) {
  require_declaring(key, "add_kv");
  if (key.empty()) fail("metadata kv #" + std::to_string(kvs_.size()), "expected a non-empty key, found an empty string");
  if (keys_.count(key)) fail(key, "expected a unique key, found a second add_kv for it");
  if (auto problem = detail::value_problem(value, 0); !problem.empty()) fail(key, problem);
  if (key == kAlignmentKey && (value.type != ValueType::UINT32 || value.u != alignment_))
    fail(key, "expected uint32 " + std::to_string(alignment_) + " (the writer's alignment), found " + value.describe());
  keys_.insert(key);
  kvs_.push_back({std::move(key), std::move(value)});
}

inline void Writer::add_tensor(std::string name, quant::Type type, std::vector<std::uint64_t> dims) {
  const std::string item = "tensor '" + name + "'";
  require_declaring(item, "add_tensor");
  if (name.empty()) fail("tensor info #" + std::to_string(tensors_.size()), "expected a non-empty tensor name, found an empty string");
  if (names_.count(name)) fail(item, "expected a unique tensor name, found a second add_tensor for it");
  const auto info = quant::type_info(static_cast<std::uint32_t>(type));
  if (!info) fail(item, "expected a known GGML type id, found " + std::to_string(static_cast<std::uint32_t>(type)));
  auto size = detail::tensor_size(*info, dims);
  if (auto* problem = std::get_if<std::string>(&size)) fail(item, *problem);
  TensorInfo t;
  t.name = std::move(name);
  t.type = type;
  t.dims = std::move(dims);
  t.n_elements = std::get<detail::TensorSize>(size).n_elements;
  t.n_bytes = std::get<detail::TensorSize>(size).n_bytes;
  t.offset = data_bytes_;
  auto padded = detail::align_up(t.n_bytes, alignment_);
  auto end = padded ? detail::checked_add(data_bytes_, *padded) : std::nullopt;
  if (!end) fail(item, "expected a data section below 2^64 bytes, found it overflowing with this tensor");
  data_bytes_ = *end;
  names_.insert(t.name);
  tensors_.push_back(std::move(t));
}

inline std::uint64_t Writer::header_bytes() const {
  std::uint64_t n = 4 + 4 + 8 + 8;
  for (const KeyValue& kv : kvs_) n += detail::encoded_size(kv);
  for (const TensorInfo& t : tensors_) n += detail::encoded_size(t);
  return n;
}

inline std::uint64_t Writer::total_bytes() const {
  return *detail::align_up(header_bytes(), alignment_) + data_bytes_;
}

inline void Writer::write_zeros(std::uint64_t n) {
  static constexpr char kZeros[4096] = {};
  while (n > 0) {
    const auto chunk = std::min<std::uint64_t>(n, sizeof kZeros);
    out_.write(kZeros, static_cast<std::streamsize>(chunk));
    n -= chunk;
  }
}

inline void Writer::check_stream(const std::string& item) {
  if (!out_) fail(item, "expected the bytes to be written, found a write error on " + path_.string());
}

inline void Writer::write_header() {
  if (header_written_) fail("header", "expected one write_header call, found a second");
  if (alignment_ != kDefaultAlignment && !keys_.count(std::string(kAlignmentKey)))
    fail(std::string(kAlignmentKey),
         "expected the key to be added for alignment " + std::to_string(alignment_) +
             " (readers assume 32 without it), found it missing");
  out_.open(path_, std::ios::binary | std::ios::trunc);
  if (!out_) fail("file", "expected a path that can be opened for writing, found it failing");

  std::string head;
  head.reserve(static_cast<std::size_t>(header_bytes()));
  detail::put(head, kMagic);
  detail::put(head, std::uint32_t{3});
  detail::put<std::uint64_t>(head, tensors_.size());
  detail::put<std::uint64_t>(head, kvs_.size());
  for (const KeyValue& kv : kvs_) detail::put_kv(head, kv);
  for (const TensorInfo& t : tensors_) detail::put_tensor_info(head, t);
  out_.write(head.data(), static_cast<std::streamsize>(head.size()));
  data_start_ = *detail::align_up(head.size(), alignment_);
  write_zeros(data_start_ - head.size());
  check_stream("header");
  header_written_ = true;
}

inline void Writer::write_data(std::span<const std::byte> bytes) {
  if (!header_written_) fail("tensor data", "expected write_header before write_data, found data first");
  if (finished_) fail("tensor data", "expected write_data before finish, found it after");
  if (bytes.empty()) return;
  if (current_ >= tensors_.size())
    fail("tensor data", "expected no more data (all " + std::to_string(tensors_.size()) +
                            " tensors are complete), found " + std::to_string(bytes.size()) + " more bytes");
  const TensorInfo& t = tensors_[current_];
  const std::string item = "tensor '" + t.name + "'";
  const std::uint64_t left = t.n_bytes - written_in_current_;
  if (bytes.size() > left)
    fail(item, "expected at most " + std::to_string(left) + " more bytes for this tensor, found a write of " +
                   std::to_string(bytes.size()));
  out_.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  written_in_current_ += bytes.size();
  if (written_in_current_ == t.n_bytes) {
    write_zeros(*detail::align_up(t.n_bytes, alignment_) - t.n_bytes);
    ++current_;
    written_in_current_ = 0;
  }
  check_stream(item);
}

inline void Writer::finish() {
  if (!header_written_) fail("header", "expected write_header before finish, found no header written");
  if (finished_) fail("file", "expected one finish call, found a second");
  if (current_ < tensors_.size()) {
    const TensorInfo& t = tensors_[current_];
    fail("tensor '" + t.name + "'", "expected " + std::to_string(t.n_bytes) + " bytes of data before finish, found " +
                                         std::to_string(written_in_current_) + " (" +
                                         std::to_string(tensors_.size() - current_) + " tensors incomplete)");
  }
  out_.flush();
  check_stream("file");
  out_.close();
  if (out_.fail()) fail("file", "expected the file to close cleanly, found close failing");
  finished_ = true;
}

}  // namespace qvk::gguf
