// bench/gpu/cold_ring.hpp — copies of a kernel's read-only input (GEMV weights,
// attention's K and V) in one buffer, so that timed reps can each read a copy
// that is not in the GPU's L2 cache.
//
// Why: the 9.4 MB of a Qwen3-8B q/o GEMV in Q4_K fit in an H100's 50 MB L2.
// Timed back to back on one buffer, every rep after the first may read part of
// them from L2 and report more than the memory delivers; in a decode step the
// weights of a GEMV were last read a whole step (GBs) earlier, so they come from
// memory. Vulkan cannot report the L2 size, so the ring has a fixed budget
// (qvk_bench --rotate-mib, default 256 MiB: over 5× the H100's L2): a copy of
// B bytes gets ceil(budget / B) copies (one when B >= budget), each at an offset
// that is a multiple of 256 (the largest minStorageBufferOffsetAlignment the
// spec allows). Reps cycle through the copies in order, so between two reads of
// one copy the kernel reads every other copy: with two or more copies at least
// max(budget − B, B) >= budget / 2 bytes (128 MiB by default), with one copy
// B >= budget itself. Copy i of a measurement is copy (cursor + i) of the ring,
// and advance() moves the cursor past the copies a measurement used, so the
// next measurement on the same ring (RingCache: consecutive rows of one size)
// goes on cycling instead of starting on the copies just read.
// Budget 0 (--warm): one copy, the old measurement.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

#include "qvk/vk/buffer.hpp"
#include "qvk/vk/record.hpp"

namespace qvk::bench {

inline constexpr std::uint64_t kRingAlign = 256;

inline constexpr std::uint64_t align_up(std::uint64_t n, std::uint64_t a) { return (n + a - 1) / a * a; }

class ColdRing {
 public:
  // `copy_bytes` per copy; every word of the buffer is filled with `pattern`.
  ColdRing(vk::Device& d, std::uint64_t copy_bytes, std::uint64_t budget, std::uint32_t pattern)
      : copy_bytes_(copy_bytes), stride_(align_up(copy_bytes, kRingAlign)) {
    copies_ = budget > copy_bytes ? std::uint32_t((budget + stride_ - 1) / stride_) : 1;
    buffer_ = vk::Buffer(d, stride_ * copies_);
    // Contents do not change a GEMV's or attention's time; fill once so the pages are real.
    vk::submit_and_wait(d, [&](VkCommandBuffer cmd) {
      d.fn().vkCmdFillBuffer(cmd, buffer_.handle(), 0, VK_WHOLE_SIZE, pattern);
      vk::full_barrier(d, cmd);
    });
  }

  std::uint32_t copies() const { return copies_; }
  std::uint64_t copy_bytes() const { return copy_bytes_; }
  std::uint64_t bytes() const { return stride_ * copies_; }

  // Copy i (mod copies()) counted from the cursor, or the part [offset, offset + bytes) of it.
  vk::BufferRange copy(std::uint64_t i) const { return part(i, 0, copy_bytes_); }
  vk::BufferRange part(std::uint64_t i, std::uint64_t offset, std::uint64_t bytes) const {
    return {buffer_.handle(), ((cursor_ + i) % copies_) * stride_ + offset, bytes};
  }
  // A measurement read copies 0 … used − 1 (in that order).
  void advance(std::uint64_t used) { cursor_ = (cursor_ + used) % copies_; }

 private:
  std::uint64_t copy_bytes_, stride_;
  std::uint32_t copies_ = 1;
  std::uint64_t cursor_ = 0;
  vk::Buffer buffer_;
};

// The ring of the last size asked for: rows of one shape (every config of a
// type, both attention head shapes) share it instead of each allocating and
// filling budget bytes.
class RingCache {
 public:
  explicit RingCache(std::uint64_t budget) : budget_(budget) {}
  ColdRing& get(vk::Device& d, std::uint64_t copy_bytes) {
    if (!ring_ || ring_->copy_bytes() != copy_bytes) {
      ring_.reset();  // free the old one first
      ring_.emplace(d, copy_bytes, budget_, 0x3c003c00u);  // f16 1.0 pairs / small quant codes
    }
    return *ring_;
  }

 private:
  std::uint64_t budget_;
  std::optional<ColdRing> ring_;
};

}  // namespace qvk::bench
