// tests/vk/gemv_runner.hpp — runs GEMV, activation-quantization and
// embedding-gather cases on the GPU and on the reference, and compares bits
// (shared by tests/vk/gemv_test.cpp and property/gemv_prop.cpp).
//
// Outputs are followed by a guard region; output and guard are filled with NaN
// patterns before the dispatch, so an element the kernel does not write shows
// up as a mismatch and a write past the end as a changed guard. A NaN output
// must be the canonical NaN 0x7fc00000 (the kernels canonicalize); the
// reference's NaN payload is not compared (it differs between CPUs).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "qvk/numerics/flush.hpp"
#include "qvk/numerics/half.hpp"
#include "qvk/ops/embed_row.hpp"
#include "qvk/ops/gemv.hpp"
#include "qvk/ops/quantize_act.hpp"
#include "qvk/quant/q8_act.hpp"
#include "qvk/quant/row.hpp"
#include "qvk/ref/gemm.hpp"
#include "qvk/ref/ops.hpp"
#include "qvk/ref/thread_pool.hpp"
#include "qvk/vk/buffer.hpp"
#include "qvk/vk/record.hpp"
#include "vk_test_device.hpp"

namespace qvk::vk::test::gemv {

using quant::Type;
using ops::GemvConfig;

inline constexpr Type kTypes[] = {Type::F32, Type::F16, Type::BF16, Type::Q8_0,
                                  Type::Q4_0, Type::Q4_K, Type::Q5_K, Type::Q6_K};
inline constexpr std::uint32_t kGuardWords = 67;
inline constexpr std::uint32_t kUnwrittenBits = 0x7fa5a5a5u;  // a NaN no kernel produces
inline constexpr std::uint32_t kGuardBits = 0x7fbadbadu;
inline constexpr std::uint32_t kCanonicalNan = 0x7fc00000u;

struct Comparison {
  bool ok = true;
  std::string message;  // first mismatch: what, index, both values in hex
};

inline std::string hex(std::uint32_t w) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", w);
  return b;
}
inline std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }
inline bool is_nan_bits(std::uint32_t b) { return (b & 0x7fffffffu) > 0x7f800000u; }

// ---------------------------------------------------------------- configs
// The physical mappings the tests run (every one must give the same bits).
// Quantized: chunks of 64 blocks (lanes take 2 blocks per chunk), 24 (chunks
// not aligned to the 32 lanes), 16, 1 (a chunk per block), a workgroup that is
// not a power of two, OpSDot variants, and the owner mapping (one and three
// rows per thread). Float: 1 to 32 lanes per thread, 1 to 8 rows per thread (items).
inline constexpr std::size_t kConfigCount = 10;

template <Type T>
constexpr std::array<GemvConfig, kConfigCount> configs() {
  constexpr ops::WeightFormat f = ops::weight_format(T);
  if constexpr (f.act == ops::ActKind::Float) {
    return {{{32, 1, 1, 1, false},
             {64, 4, 1, 1, false},
             {64, 8, 1, 2, false},
             {128, 32, 1, 4, false},
             {48, 24, 1, 1, false},
             {16, 16, 1, 2, false},
             {256, 64, 1, 1, false},
             {256, 32, 1, 1, false},
             {128, 16, 1, 1, false},
             {64, 64, 1, 8, false}}};
  } else {
    constexpr std::uint32_t p8 = f.parts < 8 ? f.parts : 8;
    constexpr std::uint32_t p4 = f.parts < 4 ? f.parts : 4;
    return {{{64, 1, 1, 1, false},
             {32, 2, 2, 3, false},
             {128, 4, p4, 2, false},
             {256, 4, p8, 2, false},
             {256, 16, f.parts, 1, false},
             {96, 3, 2, 2, false},
             {256, 4, p8, 2, true},
             {32, 2, 2, 3, true},
             {64, 2, 1, 1, false, true},
             {96, 9, 1, 3, true, true}}};
  }
}

inline std::string describe(const GemvConfig& c) {
  return "{wg " + std::to_string(c.workgroup) + ", rows " + std::to_string(c.rows) + ", P " +
         std::to_string(c.block_threads) + ", items " + std::to_string(c.items) + (c.int_dot ? ", dot4" : "") +
         (c.owner ? ", owner}" : "}");
}

inline GemvConfig config_of(Type t, std::uint32_t i) {
  switch (t) {
    case Type::F32: return configs<Type::F32>()[i];
    case Type::F16: return configs<Type::F16>()[i];
    case Type::BF16: return configs<Type::BF16>()[i];
    case Type::Q8_0: return configs<Type::Q8_0>()[i];
    case Type::Q4_0: return configs<Type::Q4_0>()[i];
    case Type::Q4_K: return configs<Type::Q4_K>()[i];
    case Type::Q5_K: return configs<Type::Q5_K>()[i];
    case Type::Q6_K: return configs<Type::Q6_K>()[i];
    default: throw std::invalid_argument("no GEMV for this type");
  }
}

// ---------------------------------------------------------------- inputs
inline std::uint16_t f16(float v) { return numerics::f32_to_f16_bits(v); }

// Activations. Classes: 0 ordinary, 1 wide exponents (huge, tiny and
// subnormal values: flushed or subnormal-producing), 2 blocks of zeros and
// exact ±FLT_MIN, 3 a few ±inf/NaN (the block's d becomes the canonical NaN).
inline std::vector<float> make_x(std::size_t n, std::uint64_t seed, int cls) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> e_wide(-150, 120), e_small(-6, 6);
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    float v = std::ldexp(normal(rng), e_small(rng) / 3);
    if (cls == 1) v = std::ldexp(normal(rng), e_wide(rng));
    if (cls == 2 && (i / 32) % 3 == 1) v = (rng() & 3) == 0 ? ((rng() & 1) ? 1.1754944e-38f : -1.1754944e-38f) : 0.0f;
    if (cls == 3 && rng() % 97 == 0) {
      const std::uint32_t specials[] = {0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc01234u, 0x7f800001u};
      v = std::bit_cast<float>(specials[rng() % 5]);
    }
    x[i] = v;
  }
  return x;
}

// Random f16 scale: mostly ordinary; with `specials`, also zero, f16
// subnormals (da·d may become tiny -> flushed), the largest finite values,
// and (rarely, with `nonfinite`) inf/NaN.
inline std::uint16_t random_scale(std::mt19937_64& rng, bool specials, bool nonfinite) {
  const std::uint32_t r = std::uint32_t(rng() % 100);
  std::uniform_real_distribution<float> mag(-14.0f, -3.0f);
  const float ordinary = std::exp2(mag(rng)) * ((rng() & 7) == 0 ? -1.0f : 1.0f);
  if (!specials || r < 80) return f16(ordinary);
  if (r < 85) return (rng() & 1) ? 0x0000 : 0x8000;
  if (r < 91) return std::uint16_t(1 + rng() % 0x3ff);                 // subnormal f16
  if (r < 97) return std::uint16_t(0x7bff - rng() % 64);               // near 65504
  if (nonfinite) return (rng() & 1) ? std::uint16_t(0x7c00) : std::uint16_t(0x7e00 | (rng() & 0x1ff));
  return f16(ordinary);
}

// Raw block bytes: random codes and sub-block scales, chosen super-block scales.
inline std::vector<std::byte> raw_weights(Type t, std::uint32_t rows, std::uint32_t cols, std::uint64_t seed,
                                          bool specials, bool nonfinite) {
  std::mt19937_64 rng(seed);
  const std::uint64_t bytes = ops::weight_bytes(t, rows, cols);
  std::vector<std::byte> w(ops::weight_words(t, rows, cols) * 4);
  for (std::uint64_t i = 0; i < bytes; i += 8) {
    const std::uint64_t r = rng();
    std::memcpy(w.data() + i, &r, std::min<std::uint64_t>(8, bytes - i));
  }
  auto put16 = [&](std::uint64_t off, std::uint16_t v) { std::memcpy(w.data() + off, &v, 2); };
  const ops::WeightFormat f = ops::weight_format(t);
  const std::uint64_t blocks = bytes / f.block_bytes;
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> e_wide(-150, 100);
  for (std::uint64_t b = 0; b < blocks; ++b) {
    const std::uint64_t o = b * f.block_bytes;
    switch (t) {
      case Type::F32: {
        float v = std::ldexp(normal(rng), specials && (rng() & 7) == 0 ? e_wide(rng) : -3);
        if (nonfinite && rng() % 997 == 0) v = std::bit_cast<float>(0x7f800000u | std::uint32_t(rng() & 0x80400000u));
        std::memcpy(w.data() + o, &v, 4);
        break;
      }
      case Type::F16:
      case Type::BF16: {
        std::uint16_t h = 0;
        std::memcpy(&h, w.data() + o, 2);
        const bool exp_max = t == Type::F16 ? (h & 0x7c00) == 0x7c00 : (h & 0x7f80) == 0x7f80;
        if (exp_max && !(nonfinite && rng() % 31 == 0)) h = std::uint16_t(h & (t == Type::F16 ? 0xbbff : 0xbf7f));
        if (!specials && t == Type::BF16) h = std::uint16_t((h & 0x807f) | (0x3c00 + (rng() % 16) * 0x80));
        put16(o, h);
        break;
      }
      case Type::Q8_0:
      case Type::Q4_0: put16(o, random_scale(rng, specials, nonfinite)); break;
      case Type::Q4_K:
      case Type::Q5_K:
        put16(o, random_scale(rng, specials, nonfinite));
        put16(o + 2, random_scale(rng, specials, nonfinite));
        break;
      case Type::Q6_K: put16(o + 208, random_scale(rng, specials, nonfinite)); break;
      default: break;
    }
  }
  return w;
}

// Weights from qvk's quantizers on random rows (what a real GGUF holds).
inline std::vector<std::byte> quantized_weights(Type t, std::uint32_t rows, std::uint32_t cols, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::byte> w(ops::weight_words(t, rows, cols) * 4);
  const std::uint64_t rb = ops::weight_bytes(t, 1, cols);
  std::vector<float> row(cols);
  for (std::uint32_t r = 0; r < rows; ++r) {
    const float scale = std::ldexp(1.0f, int(rng() % 9) - 8);
    for (auto& v : row) v = normal(rng) * scale;
    if (r % 7 == 3)  // an all-zero sub-range: zero scales/blocks
      std::fill(row.begin(), row.begin() + std::min<std::size_t>(cols, 256), 0.0f);
    quant::quantize_row(t, row, std::span<std::byte>(w.data() + r * rb, rb));
  }
  return w;
}

// ---------------------------------------------------------------- GEMV
struct GemvCase {
  Type type = Type::Q4_K;
  std::uint32_t rows = 1, cols = 256;
  std::uint32_t config = 3;    // index into configs<type>()
  std::uint32_t subgroup = 0;  // 0: driver's choice
  std::vector<std::byte> w;    // rows·row_bytes, padded to whole words
  std::vector<float> x;
};

struct GemvResult {
  Comparison cmp;
  std::vector<float> y;  // GPU output
  std::size_t nonzero = 0, nan = 0;
  std::uint64_t dispatches = 0;
};

inline std::string describe(const GemvCase& c) {
  return std::string(quant::name(c.type)) + " rows=" + std::to_string(c.rows) + " cols=" + std::to_string(c.cols) +
         " config=" + std::to_string(c.config) + describe(config_of(c.type, c.config)) +
         " subgroup=" + std::to_string(c.subgroup);
}

inline std::vector<float> reference_gemv(const GemvCase& c) {
  model::TensorView v{c.type, c.w.data(), c.cols, c.rows};
  std::vector<float> y(c.rows);
  ref::ThreadPool pool(1);
  ref::gemm_portable(v, c.x.data(), 1, y.data(), pool);
  return y;
}

// GPU bits equal the reference's, or the reference is NaN and the GPU wrote the canonical NaN.
inline Comparison compare_outputs(const char* what, std::span<const float> got, std::span<const float> want) {
  for (std::size_t i = 0; i < want.size(); ++i) {
    const std::uint32_t g = bits(got[i]), r = bits(want[i]);
    if (g == r && !is_nan_bits(r)) continue;
    if (is_nan_bits(r) && g == kCanonicalNan) continue;
    std::string m = std::string(what) + "[" + std::to_string(i) + "]: gpu " + hex(g) + " (" + std::to_string(got[i]) +
                    "), reference " + hex(r) + " (" + std::to_string(want[i]) + ")";
    if (g == kUnwrittenBits) m += " — never written";
    return {false, m};
  }
  return {};
}

inline Comparison check_guard(const char* what, std::span<const std::uint32_t> guard) {
  for (std::size_t i = 0; i < guard.size(); ++i)
    if (guard[i] != kGuardBits) return {false, std::string(what) + " guard word " + std::to_string(i) + " overwritten: " + hex(guard[i])};
  return {};
}

inline VkDeviceSize max_storage_range() { return device().features().max_storage_buffer_range; }

// The case with an explicit config (c.config is ignored).
template <Type T, GemvConfig cfg>
GemvResult run_gemv_with(const GemvCase& c, std::span<const float> want) {
  using Op = ops::Gemv<T, cfg>;
  constexpr ops::WeightFormat f = ops::weight_format(T);
  Device& d = device();
  GemvResult res;
  if (cfg.int_dot && !d.features().integer_dot_product) {
    res.cmp = {false, "device lacks shaderIntegerDotProduct (int_dot config)"};
    return res;
  }
  const typename Op::Problem problem{c.rows, c.cols};
  if (!Op::valid(problem)) throw std::invalid_argument("invalid GEMV case: " + std::string(Op::why_invalid(problem)));
  if (c.w.size() < ops::weight_words(T, c.rows, c.cols) * 4) throw std::invalid_argument("weights too short");

  Buffer wbuf(d, c.w.size());
  upload(d, wbuf, std::span<const std::byte>(c.w));
  Buffer xbuf(d, c.x.size() * 4);
  upload(d, xbuf, std::span<const float>(c.x));
  std::vector<std::uint32_t> yinit(c.rows + kGuardWords, kGuardBits);
  std::fill(yinit.begin(), yinit.begin() + c.rows, kUnwrittenBits);
  Buffer ybuf(d, yinit.size() * 4);
  upload(d, ybuf, std::span<const std::uint32_t>(yinit));
  Buffer act;
  if constexpr (Op::kQuantized) act = Buffer(d, ops::ActLayout{f.block_elems, c.cols}.words() * 4);

  // Rows per dispatch: the whole matrix, or pieces of a multiple of 256 rows when
  // one binding would exceed the device's storage-buffer range (lavapipe: 128 MiB).
  const std::uint64_t row_bytes = ops::weight_bytes(T, 1, c.cols);
  std::uint64_t piece = c.rows;
  if (ops::weight_words(T, c.rows, c.cols) * 4 > max_storage_range())
    piece = std::max<std::uint64_t>(256, max_storage_range() / row_bytes / 256 * 256);

  Recorder rec(d, pipelines());
  rec.set_subgroup_size(c.subgroup);
  submit_and_wait(d, [&](VkCommandBuffer cmd) {
    if constexpr (Op::kQuantized)
      record<ops::QuantizeAct<f.block_elems>>(rec, cmd, {whole(xbuf), whole(act)}, {c.cols});
    for (std::uint64_t r0 = 0; r0 < c.rows; r0 += piece) {
      const auto n = std::uint32_t(std::min<std::uint64_t>(piece, c.rows - r0));
      const BufferRange wr{wbuf.handle(), r0 * row_bytes, ops::weight_words(T, n, c.cols) * 4};
      const BufferRange yr{ybuf.handle(), r0 * 4, std::uint64_t(n) * 4};
      record<Op>(rec, cmd, {wr, Op::kQuantized ? whole(act) : whole(xbuf), yr}, {n, c.cols});
    }
  });
  res.dispatches = rec.dispatches();

  std::vector<std::uint32_t> got(yinit.size());
  download(d, ybuf, std::span<std::uint32_t>(got));
  res.y.resize(c.rows);
  for (std::uint32_t i = 0; i < c.rows; ++i) {
    res.y[i] = std::bit_cast<float>(got[i]);
    res.nonzero += (got[i] & 0x7fffffffu) != 0;
    res.nan += is_nan_bits(got[i]);
  }
  res.cmp = compare_outputs("y", res.y, want);
  if (res.cmp.ok) res.cmp = check_guard("y", std::span<const std::uint32_t>(got).subspan(c.rows));
  return res;
}

template <Type T, std::size_t I>
GemvResult run_gemv_as(const GemvCase& c, std::span<const float> want) {
  return run_gemv_with<T, configs<T>()[I]>(c, want);
}

template <Type T, std::size_t... I>
GemvResult run_gemv_type(const GemvCase& c, std::span<const float> want, std::index_sequence<I...>) {
  GemvResult r;
  bool found = false;
  ((c.config == I ? (r = run_gemv_as<T, I>(c, want), found = true) : false), ...);
  if (!found) throw std::invalid_argument("no such GEMV config " + std::to_string(c.config));
  return r;
}

// Runs the case on the GPU against `want` (the reference output).
inline GemvResult run_gemv(const GemvCase& c, std::span<const float> want) {
  const auto seq = std::make_index_sequence<kConfigCount>{};
  switch (c.type) {
    case Type::F32: return run_gemv_type<Type::F32>(c, want, seq);
    case Type::F16: return run_gemv_type<Type::F16>(c, want, seq);
    case Type::BF16: return run_gemv_type<Type::BF16>(c, want, seq);
    case Type::Q8_0: return run_gemv_type<Type::Q8_0>(c, want, seq);
    case Type::Q4_0: return run_gemv_type<Type::Q4_0>(c, want, seq);
    case Type::Q4_K: return run_gemv_type<Type::Q4_K>(c, want, seq);
    case Type::Q5_K: return run_gemv_type<Type::Q5_K>(c, want, seq);
    case Type::Q6_K: return run_gemv_type<Type::Q6_K>(c, want, seq);
    default: throw std::invalid_argument("no GEMV for this type");
  }
}

inline GemvResult run_gemv(const GemvCase& c) {
  const std::vector<float> want = reference_gemv(c);
  return run_gemv(c, want);
}

// ---------------------------------------------------------------- activation quantization
// GPU blocks decoded from ActLayout (`got`: the layout's words of x.size()
// elements, then the guard), compared field by field with
// quant::quantize_q8_act of x (and the sums of 16 with the reference codes).
template <std::uint32_t BE>
Comparison compare_act_blocks(std::span<const std::uint32_t> got, const std::vector<float>& x) {
  const ops::ActLayout L{BE, x.size()};
  const std::uint64_t nb = L.blocks();
  for (std::uint64_t k = 0; k < nb; ++k) {
    const std::string blk = "block " + std::to_string(k) + ": ";
    std::int8_t codes[256];
    float dref = 0;
    std::int32_t sums[8] = {};
    if constexpr (BE == 32) {
      quant::Q8Act32 a;
      quant::quantize_q8_act(x.data() + k * 32, a);
      dref = a.d;
      sums[0] = a.sum;
      std::memcpy(codes, a.qs, 32);
    } else {
      quant::Q8Act256 a;
      quant::quantize_q8_act(x.data() + k * 256, a);
      dref = a.d;
      std::memcpy(sums, a.sums, sizeof sums);
      std::memcpy(codes, a.qs, 256);
    }
    const std::uint32_t dgot = got[L.d_word() + k];
    if (dgot != bits(dref)) return {false, blk + "d: gpu " + hex(dgot) + ", reference " + hex(bits(dref))};
    for (std::uint32_t i = 0; i < BE; ++i) {
      const std::uint64_t e = k * BE + i;
      const auto c = std::int8_t(std::uint8_t(got[e / 4] >> (8 * (e % 4))));
      if (c != codes[i])
        return {false, blk + "code " + std::to_string(i) + ": gpu " + std::to_string(c) + ", reference " +
                           std::to_string(codes[i]) + " (x = " + hex(bits(x[e])) + ", d = " + hex(bits(dref)) + ")"};
    }
    for (std::uint32_t j = 0; j < BE / 32; ++j) {
      const auto s = std::int32_t(got[L.sums_word() + k * (BE / 32) + j]);
      if (s != sums[j])
        return {false, blk + "sum " + std::to_string(j) + ": gpu " + std::to_string(s) + ", reference " + std::to_string(sums[j])};
    }
    if constexpr (BE == 256)
      for (std::uint32_t g = 0; g < 16; ++g) {
        std::int32_t want = 0;
        for (std::uint32_t i = 0; i < 16; ++i) want += codes[16 * g + i];
        const auto s = std::int32_t(got[L.sums16_word() + 16 * k + g]);
        if (s != want)
          return {false, blk + "sum16 " + std::to_string(g) + ": gpu " + std::to_string(s) + ", reference " + std::to_string(want)};
      }
  }
  return check_guard("act", got.subspan(L.words()));
}

template <std::uint32_t BE, std::uint32_t WG>
Comparison run_quantize_act_as(const std::vector<float>& x, std::uint32_t subgroup) {
  using Op = ops::QuantizeAct<BE, WG>;
  Device& d = device();
  const auto n = std::uint32_t(x.size());
  const ops::ActLayout L{BE, n};
  Buffer xbuf(d, n * 4);
  upload(d, xbuf, std::span<const float>(x));
  std::vector<std::uint32_t> init(L.words() + kGuardWords, kGuardBits);
  std::fill(init.begin(), init.begin() + std::ptrdiff_t(L.words()), kUnwrittenBits);
  Buffer act(d, init.size() * 4);
  upload(d, act, std::span<const std::uint32_t>(init));
  Recorder rec(d, pipelines());
  rec.set_subgroup_size(subgroup);
  submit_and_wait(d, [&](VkCommandBuffer cmd) { record<Op>(rec, cmd, {whole(xbuf), whole(act)}, {n}); });
  if (rec.dispatches() != 1) return {false, "the recorder did not dispatch"};
  std::vector<std::uint32_t> got(init.size());
  download(d, act, std::span<std::uint32_t>(got));
  return compare_act_blocks<BE>(got, x);
}

inline Comparison run_quantize_act(std::uint32_t block, const std::vector<float>& x, std::uint32_t wg,
                                   std::uint32_t subgroup = 0) {
  if (block == 32) {
    if (wg == 64) return run_quantize_act_as<32, 64>(x, subgroup);
    if (wg == 128) return run_quantize_act_as<32, 128>(x, subgroup);
    if (wg == 256) return run_quantize_act_as<32, 256>(x, subgroup);
  } else if (block == 256) {
    if (wg == 64) return run_quantize_act_as<256, 64>(x, subgroup);
    if (wg == 128) return run_quantize_act_as<256, 128>(x, subgroup);
    if (wg == 256) return run_quantize_act_as<256, 256>(x, subgroup);
  }
  throw std::invalid_argument("quantize_act block/workgroup not instantiated");
}

// ---------------------------------------------------------------- embedding gather
// Every token of `tokens` gathered by EmbedRow (push-constant token, or read
// from word i of a token buffer) vs ref::embed.
template <Type T, bool FromBuffer>
Comparison run_embed_as(std::uint32_t rows, std::uint32_t cols, const std::vector<std::byte>& w,
                        const std::vector<std::uint32_t>& tokens) {
  using Op = ops::EmbedRow<T, 64, FromBuffer>;
  Device& d = device();
  Buffer wbuf(d, w.size());
  upload(d, wbuf, std::span<const std::byte>(w));
  Buffer tok(d, std::max<std::size_t>(tokens.size(), 1) * 4);
  upload(d, tok, std::span<const std::uint32_t>(tokens));
  // One output per token, each followed by guard words; 256-byte aligned (binding offsets).
  const std::size_t stride = (cols + kGuardWords + 63) / 64 * 64;
  std::vector<std::uint32_t> init(tokens.size() * stride, kGuardBits);
  for (std::size_t t = 0; t < tokens.size(); ++t)
    std::fill(init.begin() + std::ptrdiff_t(t * stride), init.begin() + std::ptrdiff_t(t * stride + cols), kUnwrittenBits);
  Buffer ybuf(d, init.size() * 4);
  upload(d, ybuf, std::span<const std::uint32_t>(init));
  Recorder rec(d, pipelines());
  submit_and_wait(d, [&](VkCommandBuffer cmd) {
    for (std::size_t t = 0; t < tokens.size(); ++t) {
      const BufferRange yr{ybuf.handle(), t * stride * 4, std::uint64_t(cols) * 4};
      if constexpr (FromBuffer)
        record<Op>(rec, cmd, {whole(wbuf), whole(tok), yr}, {rows, cols, 0, std::uint32_t(t)});
      else
        record<Op>(rec, cmd, {whole(wbuf), yr}, {rows, cols, tokens[t], 0});
    }
  });
  if (rec.dispatches() != tokens.size()) return {false, "the recorder did not dispatch every token"};
  std::vector<std::uint32_t> got(init.size());
  download(d, ybuf, std::span<std::uint32_t>(got));
  const model::TensorView v{T, w.data(), cols, rows};
  std::vector<float> want(cols);
  for (std::size_t t = 0; t < tokens.size(); ++t) {
    const std::span<const std::uint32_t> g(got.data() + t * stride, stride);
    std::vector<float> gf(cols);
    for (std::uint32_t i = 0; i < cols; ++i) gf[i] = std::bit_cast<float>(g[i]);
    if (tokens[t] < rows) {
      ref::embed(v, std::int32_t(tokens[t]), want.data());
    } else {
      std::fill(want.begin(), want.end(), std::bit_cast<float>(kCanonicalNan));  // out of range: canonical NaN
    }
    const std::string what = "token " + std::to_string(tokens[t]) + " y";
    Comparison c = compare_outputs(what.c_str(), gf, want);
    if (c.ok) c = check_guard(what.c_str(), g.subspan(cols));
    if (!c.ok) return c;
  }
  return {};
}

template <bool FromBuffer>
Comparison run_embed(Type t, std::uint32_t rows, std::uint32_t cols, const std::vector<std::byte>& w,
                     const std::vector<std::uint32_t>& tokens) {
  switch (t) {
    case Type::F32: return run_embed_as<Type::F32, FromBuffer>(rows, cols, w, tokens);
    case Type::F16: return run_embed_as<Type::F16, FromBuffer>(rows, cols, w, tokens);
    case Type::BF16: return run_embed_as<Type::BF16, FromBuffer>(rows, cols, w, tokens);
    case Type::Q8_0: return run_embed_as<Type::Q8_0, FromBuffer>(rows, cols, w, tokens);
    case Type::Q4_0: return run_embed_as<Type::Q4_0, FromBuffer>(rows, cols, w, tokens);
    case Type::Q4_K: return run_embed_as<Type::Q4_K, FromBuffer>(rows, cols, w, tokens);
    case Type::Q5_K: return run_embed_as<Type::Q5_K, FromBuffer>(rows, cols, w, tokens);
    case Type::Q6_K: return run_embed_as<Type::Q6_K, FromBuffer>(rows, cols, w, tokens);
    default: throw std::invalid_argument("no embedding gather for this type");
  }
}

}  // namespace qvk::vk::test::gemv
