// tests/vk/attention_runner.hpp — runs one decode-attention case (AttentionChunks
// then AttentionCombine) on the GPU and compares the bits with the reference
// (shared by tests/vk/attention_test.cpp and property/attention_prop.cpp).
//
// Checked per case: the output equals ref::portable::attention and the
// dispatching ref::attention bit for bit; the partials of every attended chunk
// equal the reference's per-chunk values (reference_partials below, itself
// checked by folding it back into the reference's output) in the documented
// layout; partials of chunks past n_pos keep their NaN fill (those workgroups
// write nothing); the guard words after the output and partials are untouched.
// The op flushes q as it loads it, so the reference runs on flush(q).
//
// Cases flagged nan_ok make NaN outputs on purpose (NaN or overflow in the
// inputs): there a NaN matches any NaN, since NaN payloads are not part of the
// contract (they differ between devices); every other value still compares bits.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "qvk/numerics/exp.hpp"
#include "qvk/numerics/flush.hpp"
#include "qvk/numerics/half.hpp"
#include "qvk/numerics/recip.hpp"
#include "qvk/numerics/reduce.hpp"
#include "qvk/ops/attention.hpp"
#include "qvk/ref/ops.hpp"
#include "qvk/vk/buffer.hpp"
#include "qvk/vk/record.hpp"
#include "vk_test_device.hpp"

namespace qvk::vk::attntest {

using test::device;
using test::expect_validation_clean;
using test::pipelines;

inline constexpr std::uint32_t kGuard = 67;                 // words after each output
inline constexpr std::uint32_t kUnwrittenBits = 0x7fa5a5a5u;  // a NaN no kernel produces
inline constexpr std::uint32_t kGuardBits = 0x7fbadbadu;
inline constexpr std::uint32_t kHeadDims[] = {64, 128, 256};
// Chunk-pass workgroup sizes: every one for head_dim 128, 128 for the others. Each
// (head_dim, workgroup) pair is a pipeline that lavapipe compiles for ~3 s, so the
// tests keep to this set (the bits cannot depend on it; the sweep test shows it).
inline constexpr std::uint32_t kChunkWorkgroups[] = {64, 128, 256};
inline constexpr std::uint32_t kDefaultChunkWorkgroup = 128;
inline constexpr std::uint32_t kCombineWorkgroups[] = {16, 64, 128, 256};
inline constexpr std::uint32_t kChunk = std::uint32_t(ops::kAttnChunk);

struct AttentionCase {
  std::uint32_t heads = 1, kv_heads = 1, head_dim = 128, n_pos = 1;
  std::uint32_t capacity = 0;  // 0: n_pos
  std::uint32_t chunk_wg = 128, combine_wg = 128, subgroup = 0;
  bool nan_ok = false;
  // PositionFrom::Buffer: the GPU gets n_pos = push_n_pos and pos[0] = position and
  // must attend min(push_n_pos + position, capacity) positions, which the test sets
  // equal to n_pos (the count the reference attends).
  bool pos_buffer = false;
  std::uint32_t push_n_pos = 1, position = 0;
  std::vector<float> q;  // [heads][head_dim]
  ref::KvLayer kv;       // capacity positions; positions >= n_pos hold NaN (never read)

  std::uint32_t cap() const { return capacity ? capacity : n_pos; }
  std::uint32_t kv_dim() const { return kv_heads * head_dim; }
  ops::AttentionProblem problem() const { return {heads, kv_heads, pos_buffer ? push_n_pos : n_pos, cap()}; }
};

// What the inputs look like.
enum class Data {
  Normal,          // q, k, v ~ N(0, 1): scores ~ N(0, 1)
  WideScores,      // scores ~ N(0, 30²): in a chunk p spans 1 … tiny (the flushed p·v path) … 0 (exp underflow)
  HugeGaps,        // scores ~ N(0, 1000²): p nearly one-hot, and a or b of the fold underflows to 0
  HugeFinite,      // f16 values near ±65504 and q ~ 1e3: huge finite scores and sums
  OverflowScores,  // |q| = 1e38: q·k sums overflow to ±inf (or NaN), p = exp(inf − inf) = NaN (nan_ok)
  SubnormalCache,  // K and V mostly f16 subnormals (2^-24 … 2^-14)
  TinyQ,           // |q| around 2^-100…2^-124: the flushed q·k path, where products of subnormal keys flush
  Zeros,           // q = 0 or k = 0 rows: all scores 0, ties everywhere, signed zeros
  Mixed,           // each head / position drawn from the classes above (finite ones)
};

inline const char* name(Data d) {
  switch (d) {
    case Data::Normal: return "normal";
    case Data::WideScores: return "wide-scores";
    case Data::HugeGaps: return "huge-gaps";
    case Data::HugeFinite: return "huge-finite";
    case Data::OverflowScores: return "overflow-scores";
    case Data::SubnormalCache: return "subnormal-cache";
    case Data::TinyQ: return "tiny-q";
    case Data::Zeros: return "zeros";
    case Data::Mixed: return "mixed";
  }
  return "?";
}

inline void fill_inputs(AttentionCase& c, std::uint64_t seed, Data data) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> pick(0, 6);
  const std::size_t kv_dim = c.kv_dim();
  auto q_value = [&](Data d) -> float {
    switch (d) {
      case Data::WideScores: return normal(rng) * 30.0f;
      case Data::HugeGaps: return normal(rng) * 1000.0f;
      case Data::HugeFinite: return normal(rng) * 1000.0f;
      case Data::OverflowScores: return (rng() & 1 ? 1.0f : -1.0f) * 1e38f;
      case Data::TinyQ:  // q·k products of a subnormal-f16 key are <= FLT_MIN (flushed), the others are not
        return numerics::flush(std::ldexp(normal(rng), -int(rng() % 24) - 100));
      case Data::Zeros: return (rng() & 1) ? 0.0f : -0.0f;
      default: return normal(rng);
    }
  };
  auto kv_value = [&](Data d) -> std::uint16_t {
    switch (d) {
      case Data::HugeFinite:
        return numerics::f32_to_f16_bits((rng() & 1 ? 1.0f : -1.0f) * (65504.0f - float(rng() % 2048) * 8.0f));
      case Data::SubnormalCache:
        if ((rng() & 7) != 0) return std::uint16_t((rng() & 0x8000u) | (1u + rng() % 0x3ffu));
        return numerics::f32_to_f16_bits(normal(rng) * 1e-3f);
      case Data::TinyQ:  // subnormal keys make q·k products land near FLT_MIN
        return (rng() & 1) ? std::uint16_t((rng() & 0x8000u) | (1u + rng() % 0x3ffu))
                           : numerics::f32_to_f16_bits(normal(rng));
      case Data::Zeros: return (rng() & 1) ? std::uint16_t(0x8000u) : std::uint16_t(0);
      default: return numerics::f32_to_f16_bits(normal(rng));
    }
  };
  auto mixed = [&]() {
    const Data all[] = {Data::Normal, Data::WideScores, Data::HugeFinite, Data::SubnormalCache, Data::TinyQ,
                        Data::Zeros, Data::HugeGaps};
    return all[pick(rng)];
  };
  c.q.assign(std::size_t(c.heads) * c.head_dim, 0.0f);
  for (std::uint32_t h = 0; h < c.heads; ++h) {
    const Data d = data == Data::Mixed ? mixed() : data;
    for (std::uint32_t i = 0; i < c.head_dim; ++i) c.q[std::size_t(h) * c.head_dim + i] = q_value(d);
  }
  const std::size_t cap = c.cap();
  c.kv.k.assign(cap * kv_dim, 0x7e00u);  // positions >= n_pos: NaN, so reading them would show
  c.kv.v.assign(cap * kv_dim, 0x7e00u);
  for (std::size_t j = 0; j < c.n_pos; ++j) {
    const Data dk = data == Data::Mixed ? mixed() : data;
    const Data dv = data == Data::Mixed ? mixed() : data;
    for (std::size_t i = 0; i < kv_dim; ++i) {
      c.kv.k[j * kv_dim + i] = kv_value(dk);
      c.kv.v[j * kv_dim + i] = kv_value(dv == Data::Zeros ? Data::Normal : dv);
    }
  }
  c.nan_ok = data == Data::OverflowScores;
}

inline std::vector<float> flushed_q(const AttentionCase& c) {
  std::vector<float> q = c.q;
  for (float& x : q) x = numerics::flush(x);
  return q;
}

// The reference's per-chunk values in the GPU's partials layout:
// ml [chunk][heads][2] = (m_c, l_c), o [chunk][heads][head_dim]; the same code as
// ref::portable::attention up to the fold.
struct Partials {
  std::vector<float> ml, o;
};

inline Partials reference_partials(const AttentionCase& c) {
  using numerics::add;
  using numerics::mul;
  using numerics::sub;
  const std::size_t D = c.head_dim, group = c.heads / c.kv_heads, kv_dim = c.kv_dim();
  const std::size_t chunks = ops::attention_chunks(c.n_pos);
  const float scale = ref::inv_sqrt(D);
  const std::vector<float> q = flushed_q(c);
  Partials p;
  p.ml.assign(chunks * c.heads * 2, 0.0f);
  p.o.assign(chunks * c.heads * D, 0.0f);
  std::array<float, kChunk> s{}, pr{}, lanes{};
  for (std::size_t h = 0; h < c.heads; ++h) {
    const std::size_t g = h / group;
    for (std::size_t ch = 0; ch < chunks; ++ch) {
      const std::size_t c0 = ch * kChunk, n = std::min<std::size_t>(kChunk, c.n_pos - c0);
      float m = 0;
      for (std::size_t j = 0; j < n; ++j) {
        const std::uint16_t* kj = c.kv.k.data() + (c0 + j) * kv_dim + g * D;
        s[j] = mul(numerics::strided_sum<ops::kHeadDotLanes>(
                       D, [&](std::size_t i) { return mul(q[h * D + i], numerics::f16_bits_to_f32(kj[i])); }),
                   scale);
        if (j == 0 || s[j] > m) m = s[j];
      }
      for (std::size_t j = 0; j < kChunk; ++j) pr[j] = j < n ? numerics::exp(sub(s[j], m)) : 0.0f;
      lanes = pr;
      const std::size_t row = ch * c.heads + h;
      p.ml[row * 2] = m;
      p.ml[row * 2 + 1] = numerics::tree_reduce<kChunk>(lanes);
      for (std::size_t i = 0; i < D; ++i) {
        for (std::size_t j = 0; j < kChunk; ++j)
          lanes[j] = j < n ? mul(pr[j], numerics::f16_bits_to_f32(c.kv.v[(c0 + j) * kv_dim + g * D + i])) : 0.0f;
        p.o[row * D + i] = numerics::tree_reduce<kChunk>(lanes);
      }
    }
  }
  return p;
}

// The fold of docs/numerics.md over the partials (what AttentionCombine computes).
inline std::vector<float> fold_partials(const AttentionCase& c, const Partials& p) {
  using numerics::add;
  using numerics::mul;
  using numerics::sub;
  const std::size_t D = c.head_dim, chunks = ops::attention_chunks(c.n_pos);
  std::vector<float> out(std::size_t(c.heads) * D);
  for (std::size_t h = 0; h < c.heads; ++h) {
    float M = 0, L = 0;
    std::vector<float> O(D);
    for (std::size_t ch = 0; ch < chunks; ++ch) {
      const std::size_t row = ch * c.heads + h;
      const float m = p.ml[row * 2], l = p.ml[row * 2 + 1];
      if (ch == 0) {
        M = m;
        L = l;
        for (std::size_t i = 0; i < D; ++i) O[i] = p.o[row * D + i];
        continue;
      }
      const float Mn = m > M ? m : M;
      const float a = numerics::exp(sub(M, Mn)), b = numerics::exp(sub(m, Mn));
      L = add(mul(L, a), mul(l, b));
      for (std::size_t i = 0; i < D; ++i) O[i] = add(mul(O[i], a), mul(p.o[row * D + i], b));
      M = Mn;
    }
    const float inv = numerics::recip(L);
    for (std::size_t i = 0; i < D; ++i) out[h * D + i] = mul(O[i], inv);
  }
  return out;
}

inline std::vector<float> reference_portable(const AttentionCase& c) {
  std::vector<float> out(std::size_t(c.heads) * c.head_dim);
  ref::portable::attention(flushed_q(c).data(), c.kv, c.n_pos, c.heads, c.kv_heads, c.head_dim, out.data());
  return out;
}

inline std::vector<float> reference_dispatching(const AttentionCase& c) {
  std::vector<float> out(std::size_t(c.heads) * c.head_dim);
  ref::attention(flushed_q(c).data(), c.kv, c.n_pos, c.heads, c.kv_heads, c.head_dim, out.data());
  return out;
}

struct Comparison {
  bool ok = true;
  std::string message;  // first mismatch: what, index, both values in hex
};

inline std::string hex(std::uint32_t w) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", w);
  return b;
}

inline std::vector<std::uint32_t> words(const std::vector<float>& v) {
  std::vector<std::uint32_t> w(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) w[i] = std::bit_cast<std::uint32_t>(v[i]);
  return w;
}

inline bool is_nan_bits(std::uint32_t w) { return (w & 0x7fffffffu) > 0x7f800000u; }

// Bits equal, or (nan_ok) both NaN. `row` names the index: [row][col].
inline Comparison compare(const std::string& what, std::span<const std::uint32_t> got, std::span<const float> want,
                          std::size_t row_len, bool nan_ok) {
  for (std::size_t i = 0; i < want.size(); ++i) {
    const std::uint32_t w = std::bit_cast<std::uint32_t>(want[i]);
    if (got[i] == w || (nan_ok && is_nan_bits(got[i]) && is_nan_bits(w))) continue;
    return {false, what + "[" + std::to_string(i / row_len) + "][" + std::to_string(i % row_len) + "]: got " +
                       hex(got[i]) + " (" + std::to_string(std::bit_cast<float>(got[i])) + "), reference " + hex(w) +
                       " (" + std::to_string(want[i]) + ")"};
  }
  return {};
}

inline Comparison expect_words(const std::string& what, std::span<const std::uint32_t> got, std::uint32_t bits) {
  for (std::size_t i = 0; i < got.size(); ++i)
    if (got[i] != bits) return {false, what + " word " + std::to_string(i) + " is " + hex(got[i]) + ", expected " + hex(bits)};
  return {};
}

// What the GPU wrote: every output buffer, guard included.
struct GpuResult {
  std::vector<std::uint32_t> ml, o, out;
  std::uint64_t dispatches = 0;
};

inline Buffer filled(std::size_t n_words, std::size_t fill_words) {
  Device& d = device();
  std::vector<std::uint32_t> w(n_words, kGuardBits);
  std::fill(w.begin(), w.begin() + std::ptrdiff_t(fill_words), kUnwrittenBits);
  Buffer b(d, w.size() * 4);
  upload(d, b, std::span<const std::uint32_t>(w));
  return b;
}

inline std::vector<std::uint32_t> read_words(const Buffer& b) {
  std::vector<std::uint32_t> w(b.size() / 4);
  download(device(), b, std::span<std::uint32_t>(w));
  return w;
}

// Both passes over `problem` on NaN-filled outputs (n_out floats of attention
// output) with guards; q holds every query row; pos[0] = position (Buffer form).
template <class Chunks, class Combine>
GpuResult run_passes(const ops::AttentionProblem& problem, std::span<const float> q_rows, const ref::KvLayer& kv,
                     std::uint32_t position, std::size_t n_out, std::uint32_t subgroup) {
  Device& d = device();
  if (!Chunks::valid(problem) || !Combine::valid(problem)) throw std::invalid_argument("invalid attention case");
  const auto ce = Chunks::elements(problem);
  Buffer q(d, ce[0] * 4), k(d, ce[1] * 4), v(d, ce[2] * 4);
  upload(d, q, q_rows);
  upload(d, k, std::span<const std::uint16_t>(kv.k));
  upload(d, v, std::span<const std::uint16_t>(kv.v));
  Buffer ml = filled(ce[3] + kGuard, ce[3]), o = filled(ce[4] + kGuard, ce[4]);
  Buffer out = filled(n_out + kGuard, n_out);

  static_assert(Chunks::kFromBuffer == Combine::kFromBuffer);
  Buffer pos(d, 4);
  upload(d, pos, std::span<const std::uint32_t>(&position, 1));

  Recorder rec(d, pipelines());
  rec.set_subgroup_size(subgroup);
  submit_and_wait(d, [&](VkCommandBuffer cmd) {
    if constexpr (Chunks::kFromBuffer) {
      record<Chunks>(rec, cmd, {whole(q), whole(k), whole(v), whole(ml), whole(o), whole(pos)}, problem);
      record<Combine>(rec, cmd, {whole(ml), whole(o), whole(out), whole(pos)}, problem);
    } else {
      record<Chunks>(rec, cmd, {whole(q), whole(k), whole(v), whole(ml), whole(o)}, problem);
      record<Combine>(rec, cmd, {whole(ml), whole(o), whole(out)}, problem);
    }
  });
  return {read_words(ml), read_words(o), read_words(out), rec.dispatches()};
}

template <class Chunks, class Combine>
GpuResult run_as(const AttentionCase& c) {
  return run_passes<Chunks, Combine>(c.problem(), c.q, c.kv, c.position, std::size_t(c.heads) * c.head_dim, c.subgroup);
}

template <std::uint32_t D, std::uint32_t MaxGroup, std::uint32_t WC>
GpuResult run_combine_wg(const AttentionCase& c) {
  using Chunks = ops::AttentionChunks<D, WC, MaxGroup>;
  switch (c.combine_wg) {
    case 16: return run_as<Chunks, ops::AttentionCombine<D, 16>>(c);
    case 64: return run_as<Chunks, ops::AttentionCombine<D, 64>>(c);
    case 128: return run_as<Chunks, ops::AttentionCombine<D, 128>>(c);
    case 256: return run_as<Chunks, ops::AttentionCombine<D, 256>>(c);
  }
  throw std::invalid_argument("combine workgroup size not instantiated: " + std::to_string(c.combine_wg));
}

template <std::uint32_t D, std::uint32_t MaxGroup>
GpuResult run_group(const AttentionCase& c) {
  if constexpr (D == 128 && MaxGroup == 8) {
    switch (c.chunk_wg) {
      case 64: return run_combine_wg<D, MaxGroup, 64>(c);
      case 128: return run_combine_wg<D, MaxGroup, 128>(c);
      case 256: return run_combine_wg<D, MaxGroup, 256>(c);
    }
  } else if (c.chunk_wg == kDefaultChunkWorkgroup) {
    return run_combine_wg<D, MaxGroup, kDefaultChunkWorkgroup>(c);
  }
  throw std::invalid_argument("chunk workgroup size not instantiated for head_dim " + std::to_string(D) + ": " +
                              std::to_string(c.chunk_wg));
}

// Group (heads / kv_heads) up to 8 runs MaxGroup = 8 (the default); 9…16 MaxGroup = 16.
// The Buffer form: head_dim 128, workgroups 128 and 128.
inline GpuResult run_on_gpu(const AttentionCase& c) {
  const std::uint32_t group = c.heads / c.kv_heads;
  if (c.pos_buffer) {
    if (c.head_dim != 128 || c.chunk_wg != 128 || c.combine_wg != 128 || group > 8)
      throw std::invalid_argument("the Buffer form is instantiated for head_dim 128, workgroups 128, group <= 8");
    constexpr auto kBuf = ops::PositionFrom::Buffer;
    return run_as<ops::AttentionChunks<128, 128, 8, kBuf>, ops::AttentionCombine<128, 128, kBuf>>(c);
  }
  switch (c.head_dim) {
    case 64: return run_group<64, 8>(c);
    case 128: return group <= 8 ? run_group<128, 8>(c) : run_group<128, 16>(c);
    case 256: return run_group<256, 8>(c);
  }
  throw std::invalid_argument("head_dim not instantiated: " + std::to_string(c.head_dim));
}

// Everything the header comment promises, first failure reported.
inline Comparison check(const AttentionCase& c, const GpuResult& gpu) {
  if (gpu.dispatches != 2) return {false, "the recorder did not dispatch both passes"};
  const std::size_t D = c.head_dim, n_out = std::size_t(c.heads) * D;
  const std::vector<float> want = reference_portable(c);
  const std::span<const std::uint32_t> out(gpu.out);
  Comparison r = compare("out vs ref::portable::attention", out.first(n_out), want, D, c.nan_ok);
  if (r.ok) r = compare("out vs ref::attention", out.first(n_out), reference_dispatching(c), D, c.nan_ok);
  if (r.ok) r = expect_words("out guard", out.subspan(n_out), kGuardBits);

  const Partials p = reference_partials(c);
  if (r.ok) r = compare("test's reference_partials folded vs ref::portable::attention",
                        std::span<const std::uint32_t>(words(fold_partials(c, p))), want, D, c.nan_ok);
  const std::size_t cap_rows = std::size_t(ops::attention_chunks(c.cap())) * c.heads;
  const std::size_t rows = std::size_t(ops::attention_chunks(c.n_pos)) * c.heads;
  const std::span<const std::uint32_t> ml(gpu.ml), o(gpu.o);
  if (r.ok) r = compare("part_ml [chunk·heads + head][m, l]", ml.first(rows * 2), p.ml, 2, c.nan_ok);
  if (r.ok) r = compare("part_o [chunk·heads + head][i]", o.first(rows * D), p.o, D, c.nan_ok);
  if (r.ok) r = expect_words("part_ml past n_pos", ml.subspan(rows * 2, (cap_rows - rows) * 2), kUnwrittenBits);
  if (r.ok) r = expect_words("part_o past n_pos", o.subspan(rows * D, (cap_rows - rows) * D), kUnwrittenBits);
  if (r.ok) r = expect_words("part_ml guard", ml.subspan(cap_rows * 2), kGuardBits);
  if (r.ok) r = expect_words("part_o guard", o.subspan(cap_rows * D), kGuardBits);
  return r;
}

inline Comparison run_and_check(const AttentionCase& c) { return check(c, run_on_gpu(c)); }

inline std::string describe(const AttentionCase& c) {
  return "heads=" + std::to_string(c.heads) + " kv_heads=" + std::to_string(c.kv_heads) +
         " head_dim=" + std::to_string(c.head_dim) + " n_pos=" + std::to_string(c.n_pos) +
         " capacity=" + std::to_string(c.cap()) + " chunk_wg=" + std::to_string(c.chunk_wg) +
         " combine_wg=" + std::to_string(c.combine_wg) + " subgroup=" + std::to_string(c.subgroup) +
         " nan_ok=" + std::to_string(c.nan_ok) +
         (c.pos_buffer ? " pos_buffer: push_n_pos=" + std::to_string(c.push_n_pos) + " pos[0]=" + std::to_string(c.position)
                       : std::string());
}

}  // namespace qvk::vk::attntest
