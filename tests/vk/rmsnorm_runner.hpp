// tests/vk/rmsnorm_runner.hpp — runs one RMSNorm case on the GPU and on the
// reference and compares the bits (shared by tests/vk and property/).
//
// The output (and, with the fused residual, x) is followed by a guard region;
// output and guard are filled with NaN patterns before the dispatch, so an
// element the kernel does not write shows up as a mismatch, and a write past
// the end as a changed guard.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "qvk/numerics/flush.hpp"
#include "qvk/ops/rmsnorm.hpp"
#include "qvk/ref/ops.hpp"
#include "qvk/vk/buffer.hpp"
#include "qvk/vk/record.hpp"
#include "vk_test_device.hpp"

namespace qvk::vk::test {

inline constexpr std::uint32_t kWorkgroupSizes[] = {8, 32, 64, 128, 256, 1024};
inline constexpr std::uint32_t kGuard = 67;                 // floats after each output
inline constexpr std::uint32_t kUnwrittenBits = 0x7fa5a5a5u;  // NaN no kernel produces
inline constexpr std::uint32_t kGuardBits = 0x7fbadbadu;

struct RmsNormCase {
  std::uint32_t rows = 1, n = 1;
  float eps = 1e-6f;
  bool residual = false;
  std::uint32_t workgroup = 64;
  std::uint32_t subgroup = 0;  // 0: driver's choice
  std::vector<float> x, r, w;
};

struct Comparison {
  bool ok = true;
  std::string message;  // first mismatch: what, index, both values in hex
};

// Finite inputs, already flushed (activations always are), over scale classes
// that reach overflow of x², all-tiny rows and subnormal-range products.
inline void fill_inputs(RmsNormCase& c, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> cls(0, 9), exp_small(-30, 30), exp_any(-140, 120);
  auto value = [&](int row_class) {
    float v = normal(rng);
    switch (row_class) {
      case 0: return std::ldexp(v, 60);                         // huge: x² overflows, rs = 0
      case 1: return std::ldexp(v, -70);                        // tiny: x² flushes to 0, rs = rsqrt(eps)
      case 2: return std::ldexp(v, exp_any(rng));               // anything finite, incl. subnormal -> flushed
      case 3: return (rng() & 7) == 0 ? 0.0f : v;               // many exact zeros
      default: return std::ldexp(v, exp_small(rng) / 6);       // ordinary activations
    }
  };
  const std::size_t m = std::size_t(c.rows) * c.n;
  c.x.assign(m, 0.0f);
  c.r.assign(c.residual ? m : 0, 0.0f);
  for (std::uint32_t row = 0; row < c.rows; ++row) {
    const int k = cls(rng);
    for (std::uint32_t i = 0; i < c.n; ++i) {
      c.x[std::size_t(row) * c.n + i] = numerics::flush(value(k));
      if (c.residual) c.r[std::size_t(row) * c.n + i] = numerics::flush(value(cls(rng) == 0 ? 2 : 4));
    }
  }
  c.w.assign(c.n, 0.0f);
  for (auto& v : c.w) v = (rng() & 15) == 0 ? std::ldexp(normal(rng), -130) : std::ldexp(normal(rng), exp_small(rng) / 10);
}

inline std::string hex(float f) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", std::bit_cast<std::uint32_t>(f));
  return b;
}

inline Comparison compare_bits(const char* what, std::span<const float> got, std::span<const float> want) {
  for (std::size_t i = 0; i < want.size(); ++i)
    if (std::bit_cast<std::uint32_t>(got[i]) != std::bit_cast<std::uint32_t>(want[i]))
      return {false, std::string(what) + "[" + std::to_string(i) + "]: gpu " + hex(got[i]) + " (" +
                         std::to_string(got[i]) + "), reference " + hex(want[i]) + " (" + std::to_string(want[i]) + ")"};
  return {};
}

inline Comparison check_guard(const char* what, std::span<const float> guard) {
  for (std::size_t i = 0; i < guard.size(); ++i)
    if (std::bit_cast<std::uint32_t>(guard[i]) != kGuardBits)
      return {false, std::string(what) + " guard word " + std::to_string(i) + " overwritten: " + hex(guard[i])};
  return {};
}

// The reference twin: ref::add_inplace then ref::rmsnorm, row by row.
inline void reference(const RmsNormCase& c, std::vector<float>& x_out, std::vector<float>& y) {
  x_out = c.x;
  y.assign(c.x.size(), 0.0f);
  for (std::uint32_t row = 0; row < c.rows; ++row) {
    float* xr = x_out.data() + std::size_t(row) * c.n;
    if (c.residual) ref::add_inplace(xr, c.r.data() + std::size_t(row) * c.n, c.n);
    ref::rmsnorm(xr, c.w.data(), c.n, c.eps, y.data() + std::size_t(row) * c.n);
  }
}

template <std::uint32_t WG, bool Residual>
Comparison run_on_gpu_as(const RmsNormCase& c) {
  using Op = ops::RmsNorm<WG, Residual>;
  Device& d = device();
  const typename Op::Problem problem{c.rows, c.n, c.eps};
  if (!Op::valid(problem)) throw std::invalid_argument("invalid RMSNorm case");
  const std::size_t m = c.x.size();
  std::vector<float> padded(m + kGuard, std::bit_cast<float>(kGuardBits));
  std::copy(c.x.begin(), c.x.end(), padded.begin());
  Buffer x(d, padded.size() * 4), w(d, c.n * 4), y(d, (m + kGuard) * 4);
  upload(d, x, std::span<const float>(padded));
  upload(d, w, std::span<const float>(c.w));
  std::vector<float> unwritten(m + kGuard, std::bit_cast<float>(kGuardBits));
  std::fill(unwritten.begin(), unwritten.begin() + std::ptrdiff_t(m), std::bit_cast<float>(kUnwrittenBits));
  upload(d, y, std::span<const float>(unwritten));
  Buffer r;
  if constexpr (Residual) {
    r = Buffer(d, m * 4);
    upload(d, r, std::span<const float>(c.r));
  }

  Recorder rec(d, pipelines());
  rec.set_subgroup_size(c.subgroup);
  submit_and_wait(d, [&](VkCommandBuffer cmd) {
    if constexpr (Residual)
      record<Op>(rec, cmd, {whole(x), whole(r), whole(w), whole(y)}, problem);
    else
      record<Op>(rec, cmd, {whole(x), whole(w), whole(y)}, problem);
  });
  if (rec.dispatches() != 1) return {false, "the recorder did not dispatch"};

  std::vector<float> y_got(m + kGuard), x_got(m + kGuard);
  download(d, y, std::span<float>(y_got));
  if constexpr (Residual) download(d, x, std::span<float>(x_got));

  std::vector<float> x_want, y_want;
  reference(c, x_want, y_want);
  const std::span<const float> yg(y_got), xg(x_got);
  Comparison cmp = compare_bits("y", yg.first(m), y_want);
  if (cmp.ok) cmp = check_guard("y", yg.subspan(m));
  if (Residual && cmp.ok) cmp = compare_bits("x (residual sum)", xg.first(m), x_want);
  if (Residual && cmp.ok) cmp = check_guard("x", xg.subspan(m));
  return cmp;
}

template <bool Residual>
Comparison run_on_gpu_residual(const RmsNormCase& c) {
  switch (c.workgroup) {
    case 8: return run_on_gpu_as<8, Residual>(c);
    case 32: return run_on_gpu_as<32, Residual>(c);
    case 64: return run_on_gpu_as<64, Residual>(c);
    case 128: return run_on_gpu_as<128, Residual>(c);
    case 256: return run_on_gpu_as<256, Residual>(c);
    case 1024: return run_on_gpu_as<1024, Residual>(c);  // the runtime's hidden-state norm
  }
  throw std::invalid_argument("workgroup size not instantiated in the test: " + std::to_string(c.workgroup));
}

inline Comparison run_on_gpu(const RmsNormCase& c) {
  return c.residual ? run_on_gpu_residual<true>(c) : run_on_gpu_residual<false>(c);
}

inline std::string describe(const RmsNormCase& c) {
  return "rows=" + std::to_string(c.rows) + " n=" + std::to_string(c.n) + " eps=" + hex(c.eps) +
         " residual=" + std::to_string(c.residual) + " workgroup=" + std::to_string(c.workgroup) +
         " subgroup=" + std::to_string(c.subgroup);
}

}  // namespace qvk::vk::test
