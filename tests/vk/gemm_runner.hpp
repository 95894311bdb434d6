// tests/vk/gemm_runner.hpp — runs GEMM (batched prefill) cases on the GPU and
// on the reference, and compares bits (shared by tests/vk/gemm_test.cpp and
// property/gemm_prop.cpp). Reuses gemv_runner.hpp's inputs (make_x,
// raw_weights, quantized_weights), its comparison (compare_outputs: a NaN as
// the canonical NaN; check_guard) and its NaN fill patterns.
//
// The quantized GEMM reads the batch quantized as one ops::ActLayout vector of
// batch·cols elements; it is built here on the CPU from quant::quantize_q8_act
// (pack_act), so the test does not depend on ops::QuantizeAct (tested on its
// own in qvk_vk_gemv_tests; GemmCase::quantize_on_gpu chains the two as the
// runtime does) and the GPU reads exactly the blocks the reference computes
// inside ref::gemm_portable from the same x.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gemv_runner.hpp"
#include "qvk/ops/gemm.hpp"

namespace qvk::vk::test::gemm {

using gemv::bits;
using gemv::Comparison;
using gemv::is_nan_bits;
using gemv::kCanonicalNan;
using gemv::kGuardBits;
using gemv::kGuardWords;
using gemv::kTypes;
using gemv::kUnwrittenBits;
using ops::GemmConfig;
using quant::Type;

// ---------------------------------------------------------------- configs
// The physical mappings the tests run (every one must give the same bits):
// one row and one column per workgroup; tiles whose rows (4, 9, 8, 16, 32, 8)
// and columns (3, 5, 8, 4, 1, 7) do not divide the test shapes; 1024 threads
// (more threads than (row, column) trees: most threads idle in the tree
// phase); 8 rows per thread; the largest tile (items·cols = 32, 16 KiB of
// shared memory). Quantized types run two of them with OpSDot instead of the
// last two plain ones, and the cooperative-matrix shader (32 rows × 64 columns,
// 4 subgroups: ops::kCoopmatGemm, and 8: kCoopmatGemm256) as the last two,
// where the device has it (config_runnable(); float types repeat config 2 there).
inline constexpr std::size_t kConfigCount = 12;
inline constexpr std::uint32_t kCoopmatConfig = 10, kCoopmatConfig256 = 11;

template <Type T>
constexpr std::array<GemmConfig, kConfigCount> configs() {
  constexpr bool quantized = ops::weight_format(T).act != ops::ActKind::Float;
  std::array<GemmConfig, kConfigCount> c{{{32, 1, 1, false},
                                          {64, 2, 3, false},
                                          {128, 2, 8, false},
                                          {96, 3, 5, false},
                                          {256, 1, 4, false},
                                          {128, 4, 8, false},
                                          {1024, 1, 1, false},
                                          {32, 8, 4, false},
                                          {64, 1, 7, false},
                                          {160, 2, 2, false},
                                          {128, 2, 8, false},
                                          {128, 2, 8, false}}};
  if (quantized) {
    c[8] = {128, 2, 8, true};
    c[9] = {96, 3, 5, true};
    c[kCoopmatConfig] = ops::kCoopmatGemm;
    c[kCoopmatConfig256] = ops::kCoopmatGemm256;
  }
  return c;
}

inline std::string describe(const GemmConfig& c) {
  return "{wg " + std::to_string(c.workgroup) + ", items " + std::to_string(c.items) + ", cols " +
         std::to_string(c.cols) + (c.int_dot ? ", dot4}" : c.coopmat ? ", coopmat}" : "}");
}

inline GemmConfig config_of(Type t, std::uint32_t i) {
  switch (t) {
    case Type::F32: return configs<Type::F32>()[i];
    case Type::F16: return configs<Type::F16>()[i];
    case Type::BF16: return configs<Type::BF16>()[i];
    case Type::Q8_0: return configs<Type::Q8_0>()[i];
    case Type::Q4_0: return configs<Type::Q4_0>()[i];
    case Type::Q4_K: return configs<Type::Q4_K>()[i];
    case Type::Q5_K: return configs<Type::Q5_K>()[i];
    case Type::Q6_K: return configs<Type::Q6_K>()[i];
    default: throw std::invalid_argument("no GEMM for this type");
  }
}

// Whether the device runs config i of type t (OpSDot, cooperative matrices).
inline bool config_runnable(Type t, std::uint32_t i) {
  const GemmConfig c = config_of(t, i);
  return (!c.int_dot || device().features().integer_dot_product) && (!c.coopmat || device().cooperative_matrix_int8());
}

// Subgroup sizes a pipeline of `workgroup` threads may be pinned to (0: the driver's choice).
inline std::vector<std::uint32_t> subgroup_sizes(std::uint32_t workgroup) {
  Device& d = device();
  std::vector<std::uint32_t> sizes{0};
  if (d.can_pin_subgroup_size())
    for (std::uint32_t s : d.features().allowed_subgroup_sizes())
      if (d.features().workgroup_fits_subgroup(workgroup, s)) sizes.push_back(s);  // Vulkan forbids the others
  return sizes;
}

// ---------------------------------------------------------------- case
struct GemmCase {
  Type type = Type::Q4_K;
  std::uint32_t rows = 1, cols = 256, batch = 1;
  std::uint32_t config = 2;    // index into configs<type>()
  std::uint32_t subgroup = 0;  // 0: driver's choice
  std::vector<std::byte> w;    // rows·row_bytes, padded to whole words
  std::vector<float> x;        // [batch][cols]
  // Quantized W: the activations from ops::QuantizeAct on the GPU (x as one
  // vector, the runtime's chain) instead of pack_act on the CPU.
  bool quantize_on_gpu = false;
};

struct GemmResult {
  Comparison cmp;
  std::vector<float> y;  // GPU output [batch][rows]
  std::size_t nonzero = 0, nan = 0;
  std::uint64_t dispatches = 0;
};

inline std::string describe(const GemmCase& c) {
  return std::string(quant::name(c.type)) + " rows=" + std::to_string(c.rows) + " cols=" + std::to_string(c.cols) +
         " batch=" + std::to_string(c.batch) + " config=" + std::to_string(c.config) +
         describe(config_of(c.type, c.config)) + " subgroup=" + std::to_string(c.subgroup) + (c.quantize_on_gpu ? " act=QuantizeAct" : "");
}

// x of `batch` columns, column b of activation class classes[b % classes.size()] (make_x's 0..3).
inline std::vector<float> make_batch_x(std::uint32_t cols, std::uint32_t batch, std::uint64_t seed,
                                       std::span<const int> classes) {
  std::vector<float> x;
  x.reserve(std::size_t(cols) * batch);
  for (std::uint32_t b = 0; b < batch; ++b) {
    const auto xb = gemv::make_x(cols, seed + 0x9e3779b97f4a7c15ull * (b + 1), classes[b % classes.size()]);
    x.insert(x.end(), xb.begin(), xb.end());
  }
  return x;
}

// ref::gemm_portable (the contract written plainly), or ref::gemm (the x86 SIMD path) with `simd`.
inline std::vector<float> reference_gemm(const GemmCase& c, bool simd = false) {
  model::TensorView v{c.type, c.w.data(), c.cols, c.rows};
  std::vector<float> y(std::size_t(c.rows) * c.batch);
  ref::ThreadPool pool(1);
  if (simd)
    ref::gemm(v, c.x.data(), c.batch, y.data(), pool);
  else
    ref::gemm_portable(v, c.x.data(), c.batch, y.data(), pool);
  return y;
}

// The two reference paths agree: equal bits, or both NaN (the payload may differ).
inline Comparison compare_references(std::span<const float> simd, std::span<const float> portable) {
  for (std::size_t i = 0; i < portable.size(); ++i) {
    const std::uint32_t a = bits(simd[i]), b = bits(portable[i]);
    if (a == b || (is_nan_bits(a) && is_nan_bits(b))) continue;
    return {false, "y[" + std::to_string(i) + "]: ref::gemm " + gemv::hex(a) + ", ref::gemm_portable " + gemv::hex(b)};
  }
  return {};
}

// The GPU activation input of a quantized GEMM: the whole batch [batch][cols]
// as ONE vector of batch·cols elements in ActLayout{BE, batch·cols} (the
// gemm.hpp contract: cols is whole blocks, so column b's block k is block
// b·cols/BE + k), each block from quant::quantize_q8_act, the function
// ref::gemm_portable calls on the same x; sums16 = Σ codes of each 16.
template <std::uint32_t BE>
std::vector<std::uint32_t> pack_act(std::span<const float> x) {
  const ops::ActLayout L{BE, x.size()};
  const std::uint64_t nb = L.blocks();
  std::vector<std::uint32_t> act(L.words(), 0u);
  for (std::uint64_t k = 0; k < nb; ++k) {
    const std::int8_t* codes;
    float d;
    std::int32_t sums[8];
    quant::Q8Act32 a32;
    quant::Q8Act256 a256;
    if constexpr (BE == 32) {
      quant::quantize_q8_act(x.data() + k * 32, a32);
      codes = a32.qs;
      d = a32.d;
      sums[0] = a32.sum;
    } else {
      quant::quantize_q8_act(x.data() + k * 256, a256);
      codes = a256.qs;
      d = a256.d;
      std::memcpy(sums, a256.sums, sizeof sums);
    }
    std::memcpy(act.data() + L.codes_word() + k * BE / 4, codes, BE);  // byte i (little-endian) = code i
    act[L.d_word() + k] = bits(d);
    for (std::uint32_t j = 0; j < BE / 32; ++j) act[L.sums_word() + k * (BE / 32) + j] = std::uint32_t(sums[j]);
    if constexpr (BE == 256)
      for (std::uint32_t g = 0; g < 16; ++g) {
        std::int32_t s = 0;
        for (std::uint32_t i = 0; i < 16; ++i) s += codes[16 * g + i];
        act[L.sums16_word() + 16 * k + g] = std::uint32_t(s);
      }
  }
  return act;
}

// The case with an explicit config (c.config is ignored); `want` is [batch][rows].
template <Type T, GemmConfig cfg>
GemmResult run_gemm_with(const GemmCase& c, std::span<const float> want) {
  using Op = ops::Gemm<T, cfg>;
  constexpr ops::WeightFormat f = ops::weight_format(T);
  Device& d = device();
  GemmResult res;
  if (cfg.int_dot && !d.features().integer_dot_product) {
    res.cmp = {false, "device lacks shaderIntegerDotProduct (int_dot config)"};
    return res;
  }
  if (cfg.coopmat && !d.cooperative_matrix_int8()) {
    res.cmp = {false, "device lacks int8 cooperative matrices (coopmat config)"};
    return res;
  }
  const typename Op::Problem problem{c.rows, c.cols, c.batch};
  if (!Op::valid(problem)) throw std::invalid_argument("invalid GEMM case: " + std::string(Op::why_invalid(problem)));
  if (c.w.size() < ops::weight_words(T, c.rows, c.cols) * 4) throw std::invalid_argument("weights too short");
  if (c.x.size() != std::size_t(c.cols) * c.batch) throw std::invalid_argument("x is not [batch][cols]");
  if (ops::weight_words(T, c.rows, c.cols) * 4 > gemv::max_storage_range())
    throw std::invalid_argument("weights over the device's storage range: use a smaller case");

  Buffer wbuf(d, c.w.size());
  upload(d, wbuf, std::span<const std::byte>(c.w));
  Buffer xbuf(d, c.x.size() * 4), act;  // act: the quantized activations
  upload(d, xbuf, std::span<const float>(c.x));
  if constexpr (Op::kQuantized) {
    if (c.quantize_on_gpu) {
      act = Buffer(d, Op::act_words(c.cols, c.batch) * 4);
    } else {
      const auto a = pack_act<f.block_elems>(c.x);
      act = Buffer(d, a.size() * 4);
      upload(d, act, std::span<const std::uint32_t>(a));
    }
  }
  const std::size_t n = std::size_t(c.rows) * c.batch;
  std::vector<std::uint32_t> yinit(n + kGuardWords, kGuardBits);
  std::fill(yinit.begin(), yinit.begin() + std::ptrdiff_t(n), kUnwrittenBits);
  Buffer ybuf(d, yinit.size() * 4);
  upload(d, ybuf, std::span<const std::uint32_t>(yinit));

  Recorder rec(d, pipelines());
  rec.set_subgroup_size(c.subgroup);
  // y bound with its guard: a write past [batch][rows] lands in the guard.
  const bool gpu_act = Op::kQuantized && c.quantize_on_gpu;
  submit_and_wait(d, [&](VkCommandBuffer cmd) {
    if constexpr (Op::kQuantized)
      if (gpu_act) record<ops::QuantizeAct<f.block_elems>>(rec, cmd, {whole(xbuf), whole(act)}, {c.cols * c.batch});
    record<Op>(rec, cmd, {whole(wbuf), Op::kQuantized ? whole(act) : whole(xbuf), whole(ybuf)}, problem);
  });
  res.dispatches = rec.dispatches();

  std::vector<std::uint32_t> got(yinit.size());
  download(d, ybuf, std::span<std::uint32_t>(got));
  res.y.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    res.y[i] = std::bit_cast<float>(got[i]);
    res.nonzero += (got[i] & 0x7fffffffu) != 0;
    res.nan += is_nan_bits(got[i]);
  }
  if (want.size() != n) throw std::invalid_argument("want is not [batch][rows]");
  for (std::uint32_t b = 0; b < c.batch && res.cmp.ok; ++b) {  // the first mismatch as (column, row)
    const std::string what = "column " + std::to_string(b) + " y";
    res.cmp = gemv::compare_outputs(what.c_str(), std::span<const float>(res.y).subspan(std::size_t(b) * c.rows, c.rows),
                                    want.subspan(std::size_t(b) * c.rows, c.rows));
  }
  if (res.cmp.ok) res.cmp = gemv::check_guard("y", std::span<const std::uint32_t>(got).subspan(n));
  if (res.cmp.ok && res.dispatches != (gpu_act ? 2u : 1u)) res.cmp = {false, "the recorder did not dispatch"};
  return res;
}

template <Type T, std::size_t I>
GemmResult run_gemm_as(const GemmCase& c, std::span<const float> want) {
  return run_gemm_with<T, configs<T>()[I]>(c, want);
}

template <Type T, std::size_t... I>
GemmResult run_gemm_type(const GemmCase& c, std::span<const float> want, std::index_sequence<I...>) {
  GemmResult r;
  bool found = false;
  ((c.config == I ? (r = run_gemm_as<T, I>(c, want), found = true) : false), ...);
  if (!found) throw std::invalid_argument("no such GEMM config " + std::to_string(c.config));
  return r;
}

// Runs the case on the GPU against `want` (the reference output, [batch][rows]).
inline GemmResult run_gemm(const GemmCase& c, std::span<const float> want) {
  const auto seq = std::make_index_sequence<kConfigCount>{};
  switch (c.type) {
    case Type::F32: return run_gemm_type<Type::F32>(c, want, seq);
    case Type::F16: return run_gemm_type<Type::F16>(c, want, seq);
    case Type::BF16: return run_gemm_type<Type::BF16>(c, want, seq);
    case Type::Q8_0: return run_gemm_type<Type::Q8_0>(c, want, seq);
    case Type::Q4_0: return run_gemm_type<Type::Q4_0>(c, want, seq);
    case Type::Q4_K: return run_gemm_type<Type::Q4_K>(c, want, seq);
    case Type::Q5_K: return run_gemm_type<Type::Q5_K>(c, want, seq);
    case Type::Q6_K: return run_gemm_type<Type::Q6_K>(c, want, seq);
    default: throw std::invalid_argument("no GEMM for this type");
  }
}

inline GemmResult run_gemm(const GemmCase& c) {
  const std::vector<float> want = reference_gemm(c);
  return run_gemm(c, want);
}

}  // namespace qvk::vk::test::gemm
