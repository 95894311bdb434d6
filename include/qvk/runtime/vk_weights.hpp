// qvk/runtime/vk_weights.hpp — model weights on the device, as stored.
//
// Every tensor is uploaded as its GGUF bytes (quantized blocks, f16/bf16/f32
// values): no conversion, no dequantization, so the kernels read exactly what
// the CPU reference reads from the file mapping. A buffer is padded with zero
// bytes to a multiple of 16 (the kernels load 32-bit words or 16-byte vectors).
//
// Stacking: matrices of one type and width that multiply the same input (Q/K/V,
// gate/up) may be uploaded back to back into one buffer, which is then one
// matrix of rows1 + rows2 + … rows: one GEMV dispatch computes all of them, and
// every output row is computed exactly as alone (a GEMV row depends only on its
// own weights and the input). A tensor used twice (the tied embedding / LM
// head) is uploaded once, and a tensor already uploaded as part of a stacked
// matrix (the batched-prefill program multiplies Q, K, V one by one) is that
// part of its buffer when its offset suits the device's binding alignment.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "qvk/model/weights.hpp"
#include "qvk/vk/buffer.hpp"
#include "qvk/vk/error.hpp"
#include "qvk/vk/record.hpp"

namespace qvk::runtime {

class VkWeights {
 public:
  // offset_alignment: the device's minStorageBufferOffsetAlignment (parts of
  // stacked buffers are bound at offsets that are multiples of it).
  explicit VkWeights(vk::Device& d, std::uint64_t offset_alignment = 256)
      : device_(d), align_(std::max<std::uint64_t>(4, offset_alignment)) {}

  // One tensor as stored (uploaded on first use, shared afterwards).
  vk::BufferRange get(const model::TensorView& t) {
    const model::TensorView* one[1] = {&t};
    return stacked(one);
  }

  // Tensors of one type and width, back to back: a matrix of Σ rows rows.
  vk::BufferRange stacked(std::span<const model::TensorView* const> parts) {
    if (parts.empty()) throw std::invalid_argument("VkWeights::stacked: no tensors");
    std::vector<const std::byte*> key;
    std::uint64_t bytes = 0;
    for (const model::TensorView* t : parts) {
      if (t->type != parts[0]->type || t->cols != parts[0]->cols)
        throw std::invalid_argument("VkWeights::stacked: tensors of different type or width");
      key.push_back(t->data);
      bytes += t->rows * t->row_bytes();
    }
    if (auto it = index_.find(key); it != index_.end()) return it->second;
    if (parts.size() == 1)
      if (auto it = parts_.find(key[0]); it != parts_.end()) return it->second;
    const std::uint64_t padded = (bytes + 15) / 16 * 16;
    const std::uint64_t max_range = device_.features().max_storage_buffer_range;
    if (padded > max_range)
      throw vk::Error("a weight tensor of " + std::to_string(padded) + " bytes exceeds the device's " +
                      "maxStorageBufferRange of " + std::to_string(max_range) + " bytes (" + device_.features().name +
                      ")");
    buffers_.push_back(std::make_unique<vk::Buffer>(device_, padded));
    const vk::Buffer& buf = *buffers_.back();
    std::uint64_t offset = 0;
    for (const model::TensorView* t : parts) {
      const std::uint64_t n = t->rows * t->row_bytes();
      upload_bytes(buf, std::span<const std::byte>(t->data, n), offset);
      // The part as a tensor of its own: its bytes rounded up to 16 (a kernel
      // may read its last word or vector; past its end lies the next part).
      if (parts.size() > 1 && offset % align_ == 0)
        parts_.emplace(t->data, vk::BufferRange{buf.handle(), offset, std::min((n + 15) / 16 * 16, padded - offset)});
      offset += n;
    }
    if (padded != bytes) {  // the tail after the last block: zeros
      const std::byte zeros[16]{};
      vk::upload(device_, buf, std::span<const std::byte>(zeros, padded - bytes), bytes);
    }
    bytes_ += padded;
    const vk::BufferRange r{buf.handle(), 0, padded};
    index_.emplace(std::move(key), r);
    return r;
  }

  // The largest binding the device allows (a stacked matrix must fit it).
  std::uint64_t max_range() const { return device_.features().max_storage_buffer_range; }

  // Device bytes of every uploaded weight.
  std::uint64_t bytes() const { return bytes_; }
  std::size_t buffers() const { return buffers_.size(); }

 private:
  // Uploads through a bounded staging buffer (a large LM head need not fit one allocation).
  void upload_bytes(const vk::Buffer& dst, std::span<const std::byte> src, std::uint64_t offset) {
    constexpr std::uint64_t kPiece = 64ull << 20;
    for (std::uint64_t done = 0; done < src.size(); done += kPiece) {
      const std::uint64_t n = std::min<std::uint64_t>(kPiece, src.size() - done);
      vk::upload(device_, dst, src.subspan(done, n), offset + done);
    }
  }

  vk::Device& device_;
  std::uint64_t align_;
  std::map<const std::byte*, vk::BufferRange> parts_;  // tensors inside stacked buffers
  std::vector<std::unique_ptr<vk::Buffer>> buffers_;
  std::map<std::vector<const std::byte*>, vk::BufferRange> index_;
  std::uint64_t bytes_ = 0;
};

}  // namespace qvk::runtime
