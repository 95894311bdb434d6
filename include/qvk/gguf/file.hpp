// qvk/gguf/file.hpp — read-only, validated view of a GGUF v2/v3 file (mmap).
//
// `File::open` validates the whole header before anything may read tensor
// data: magic, version, counts that fit in the file, string and array lengths
// inside the file, known tensor types, 1–4 dims with no dim of 0, no 64-bit
// overflow of element or byte counts, element counts that are whole blocks,
// data offsets aligned and inside the file, no overlapping tensors, no
// duplicate keys or tensor names, a `general.alignment` that is a uint32 power
// of two. Every failure throws `qvk::gguf::Error` naming file, item and what
// was expected vs found. Tensor bytes are handed out as spans into the mapping.
//
// Items in errors: the metadata key, "tensor '<name>'", or — before a name is
// known — "header", "metadata kv #i", "tensor info #i"; "file" for problems
// opening the path itself.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "qvk/gguf/detail/checked.hpp"
#include "qvk/gguf/detail/cursor.hpp"
#include "qvk/gguf/detail/mapping.hpp"
#include "qvk/gguf/detail/read_value.hpp"
#include "qvk/gguf/detail/tensor_shape.hpp"
#include "qvk/gguf/error.hpp"
#include "qvk/gguf/tensor_info.hpp"
#include "qvk/gguf/value.hpp"
#include "qvk/quant/type.hpp"

namespace qvk::gguf {

inline constexpr std::uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
inline constexpr std::uint64_t kDefaultAlignment = 32;
inline constexpr std::string_view kAlignmentKey = "general.alignment";

class File {
 public:
  // Maps and validates; throws Error on any problem.
  static File open(const std::filesystem::path& path);

  File(File&&) noexcept;
  File& operator=(File&&) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();

  const std::string& path() const { return path_; }
  std::uint32_t version() const { return version_; }
  std::uint64_t alignment() const { return alignment_; }
  std::uint64_t file_size() const { return size_; }
  // Absolute start of tensor data. For a file without tensors this is where
  // the data section would start and may equal or exceed file_size().
  std::uint64_t data_offset() const { return data_offset_; }

  const std::vector<KeyValue>& metadata() const { return kvs_; }  // file order
  const Value* find(std::string_view key) const;                  // nullptr if absent
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // file order
  const TensorInfo* tensor(std::string_view name) const;          // nullptr if absent

  // The tensor's bytes inside the mapping (validated at open). Throws Error
  // if `t` does not describe bytes of this file.
  std::span<const std::byte> data(const TensorInfo& t) const;

 private:
  // Transparent hashing: find(string_view) without building a std::string.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using Index = std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>>;

  File() = default;
  void read_preamble(detail::Cursor& c, std::uint64_t& n_tensors, std::uint64_t& n_kv);
  void read_metadata(detail::Cursor& c, std::uint64_t n_kv);
  void read_alignment(detail::Cursor& c);
  void read_tensor_infos(detail::Cursor& c, std::uint64_t n_tensors);
  void check_data_layout(detail::Cursor& c);

  std::string path_;
  const std::byte* base_ = nullptr;
  std::uint64_t size_ = 0;
  std::uint32_t version_ = 0;
  std::uint64_t alignment_ = kDefaultAlignment;
  std::uint64_t data_offset_ = 0;
  std::vector<KeyValue> kvs_;
  std::vector<TensorInfo> tensors_;
  Index kv_index_;
  Index tensor_index_;
};

// ---- implementation --------------------------------------------------------

inline File File::open(const std::filesystem::path& path) {
  File f;
  f.path_ = path.string();
  const detail::Mapped m = detail::map_file(f.path_);
  f.base_ = m.base;  // owned from here: ~File unmaps if validation throws
  f.size_ = m.size;

  detail::Cursor c(f.path_, f.base_, f.size_);
  std::uint64_t n_tensors = 0, n_kv = 0;
  f.read_preamble(c, n_tensors, n_kv);
  f.read_metadata(c, n_kv);
  f.read_alignment(c);
  f.read_tensor_infos(c, n_tensors);
  f.check_data_layout(c);
  return f;
}

inline void File::read_preamble(detail::Cursor& c, std::uint64_t& n_tensors, std::uint64_t& n_kv) {
  c.set_item("header");
  const std::byte* magic = c.take(4, "magic");
  std::uint32_t m = 0;
  std::memcpy(&m, magic, 4);
  if (m != kMagic) {
    std::string found;
    for (int k = 0; k < 4; ++k) {
      const auto ch = static_cast<unsigned char>(magic[k]);
      found += (ch >= 0x20 && ch < 0x7f) ? static_cast<char>(ch) : '?';
    }
    c.fail("expected magic 'GGUF', found '" + found + "'");
  }
  version_ = c.u32("version");
  if (version_ != 2 && version_ != 3) {
    // A big-endian v2/v3 file reads as 0x02000000 / 0x03000000 here.
    const std::uint32_t swapped = __builtin_bswap32(version_);
    if (swapped == 2 || swapped == 3)
      c.fail("expected a little-endian file (version 2 or 3), found big-endian version " + std::to_string(swapped));
    c.fail("expected version 2 or 3, found version " + std::to_string(version_) +
           (version_ == 1 ? " (GGUF v1 is not supported)" : ""));
  }
  n_tensors = c.u64("tensor count");
  n_kv = c.u64("metadata count");
  // Fewest bytes a tensor info / key-value pair can take (non-empty name or
  // key, one dim / a one-byte value): counts beyond what the rest of the file
  // can hold are rejected before any loop or allocation uses them.
  constexpr std::uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;
  constexpr std::uint64_t kMinKvBytes = 8 + 1 + 4 + 1;
  const std::uint64_t left = c.remaining();
  if (n_tensors > left / kMinTensorInfoBytes)
    c.fail("expected a tensor count that fits in the " + std::to_string(left) + " bytes after the header (at most " +
           std::to_string(left / kMinTensorInfoBytes) + "), found " + std::to_string(n_tensors));
  const std::uint64_t left_for_kv = left - n_tensors * kMinTensorInfoBytes;
  if (n_kv > left_for_kv / kMinKvBytes)
    c.fail("expected a metadata count that fits in the " + std::to_string(left_for_kv) +
           " bytes left for it (at most " + std::to_string(left_for_kv / kMinKvBytes) + "), found " +
           std::to_string(n_kv));
}

inline void File::read_metadata(detail::Cursor& c, std::uint64_t n_kv) {
  const auto reserve = static_cast<std::size_t>(std::min(n_kv, detail::kMaxReserve));
  kvs_.reserve(reserve);
  kv_index_.reserve(reserve);
  for (std::uint64_t k = 0; k < n_kv; ++k) {
    c.set_item("metadata kv #" + std::to_string(k));
    std::string key = c.string("key");
    if (key.empty()) c.fail("expected a non-empty key, found an empty string");
    c.set_item(key);
    if (auto it = kv_index_.find(key); it != kv_index_.end())
      c.fail("expected a unique key, found a second definition (first is metadata kv #" +
             std::to_string(it->second) + ")");
    const ValueType type = detail::read_value_type(c, "value type");
    Value value = detail::read_value(c, type, 0);
    kv_index_.emplace(key, kvs_.size());
    kvs_.push_back({std::move(key), std::move(value)});
  }
}

inline void File::read_alignment(detail::Cursor& c) {
  const Value* v = find(kAlignmentKey);
  if (v == nullptr) return;
  c.set_item(std::string(kAlignmentKey));
  if (v->type != ValueType::UINT32)
    c.fail("expected type uint32, found " + std::string(value_type_name(v->type)));
  if (!detail::is_power_of_two(v->u)) c.fail("expected a nonzero power of two, found " + std::to_string(v->u));
  alignment_ = v->u;
}

inline void File::read_tensor_infos(detail::Cursor& c, std::uint64_t n_tensors) {
  const auto reserve = static_cast<std::size_t>(std::min(n_tensors, detail::kMaxReserve));
  tensors_.reserve(reserve);
  tensor_index_.reserve(reserve);
  for (std::uint64_t k = 0; k < n_tensors; ++k) {
    c.set_item("tensor info #" + std::to_string(k));
    TensorInfo t;
    t.name = c.string("tensor name");
    if (t.name.empty()) c.fail("expected a non-empty tensor name, found an empty string");
    c.set_item("tensor '" + t.name + "'");
    if (auto it = tensor_index_.find(t.name); it != tensor_index_.end())
      c.fail("expected a unique tensor name, found a second tensor with this name (first is tensor info #" +
             std::to_string(it->second) + ")");
    const std::uint32_t n_dims = c.u32("dimension count");
    if (n_dims < 1 || n_dims > kMaxDims)
      c.fail("expected 1 to " + std::to_string(kMaxDims) + " dimensions, found " + std::to_string(n_dims));
    t.dims.resize(n_dims);
    for (auto& d : t.dims) d = c.u64("dimension");
    const std::uint32_t type_id = c.u32("tensor type");
    const auto info = quant::type_info(type_id);
    if (!info) c.fail("expected a known GGML type id, found " + std::to_string(type_id));
    t.type = info->type;
    auto size = detail::tensor_size(*info, t.dims);
    if (auto* problem = std::get_if<std::string>(&size)) c.fail(*problem);
    t.n_elements = std::get<detail::TensorSize>(size).n_elements;
    t.n_bytes = std::get<detail::TensorSize>(size).n_bytes;
    t.offset = c.u64("tensor offset");
    if (t.offset % alignment_ != 0)
      c.fail("expected an offset aligned to " + std::to_string(alignment_) + ", found " + std::to_string(t.offset));
    tensor_index_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
  }
}

inline void File::check_data_layout(detail::Cursor& c) {
  // pos <= size < 2^63 and alignment <= 2^31, so this cannot overflow.
  data_offset_ = *detail::align_up(c.pos(), alignment_);
  if (tensors_.empty()) return;
  if (data_offset_ > size_) {
    c.set_item("header");
    c.fail("expected the data section to start inside the file at offset " + std::to_string(data_offset_) +
           ", found a file of " + std::to_string(size_) + " bytes");
  }
  const std::uint64_t data_size = size_ - data_offset_;
  for (const TensorInfo& t : tensors_) {
    c.set_item("tensor '" + t.name + "'");
    if (t.offset > data_size)
      c.fail("expected an offset inside the data section (at most " + std::to_string(data_size) + "), found " +
             std::to_string(t.offset));
    auto end = detail::checked_add(t.offset, t.n_bytes);
    if (!end || *end > data_size)
      c.fail("expected the tensor's " + std::to_string(t.n_bytes) + " bytes at data offset " +
             std::to_string(t.offset) + " to fit in the " + std::to_string(data_size) +
             "-byte data section, found them running past the end of the file");
  }
  std::vector<std::size_t> order(tensors_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return tensors_[a].offset < tensors_[b].offset; });
  for (std::size_t k = 1; k < order.size(); ++k) {
    const TensorInfo& prev = tensors_[order[k - 1]];
    const TensorInfo& next = tensors_[order[k]];
    if (prev.offset + prev.n_bytes > next.offset) {
      c.set_item("tensor '" + next.name + "'");
      c.fail("expected no overlap with tensor '" + prev.name + "' (data bytes [" + std::to_string(prev.offset) +
             ", " + std::to_string(prev.offset + prev.n_bytes) + ")), found this tensor starting at " +
             std::to_string(next.offset));
    }
  }
}

inline File::File(File&& o) noexcept
    : path_(std::move(o.path_)),
      base_(std::exchange(o.base_, nullptr)),
      size_(std::exchange(o.size_, 0)),
      version_(o.version_),
      alignment_(o.alignment_),
      data_offset_(o.data_offset_),
      kvs_(std::move(o.kvs_)),
      tensors_(std::move(o.tensors_)),
      kv_index_(std::move(o.kv_index_)),
      tensor_index_(std::move(o.tensor_index_)) {}

inline File& File::operator=(File&& o) noexcept {
  if (this != &o) {
    detail::unmap_file(base_, size_);
    path_ = std::move(o.path_);
    base_ = std::exchange(o.base_, nullptr);
    size_ = std::exchange(o.size_, 0);
    version_ = o.version_;
    alignment_ = o.alignment_;
    data_offset_ = o.data_offset_;
    kvs_ = std::move(o.kvs_);
    tensors_ = std::move(o.tensors_);
    kv_index_ = std::move(o.kv_index_);
    tensor_index_ = std::move(o.tensor_index_);
  }
  return *this;
}

inline File::~File() { detail::unmap_file(base_, size_); }

inline const Value* File::find(std::string_view key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kvs_[it->second].value;
}

inline const TensorInfo* File::tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

inline std::span<const std::byte> File::data(const TensorInfo& t) const {
  const std::uint64_t data_size = size_ >= data_offset_ ? size_ - data_offset_ : 0;
  auto end = detail::checked_add(t.offset, t.n_bytes);
  if (base_ == nullptr || !end || *end > data_size)
    throw Error(path_, "tensor '" + t.name + "'",
                "expected a tensor whose bytes lie in this file's data section, found offset " +
                    std::to_string(t.offset) + " + " + std::to_string(t.n_bytes) + " bytes");
  return {base_ + data_offset_ + t.offset, static_cast<std::size_t>(t.n_bytes)};
}

}  // namespace qvk::gguf
