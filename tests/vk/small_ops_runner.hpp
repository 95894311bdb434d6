// tests/vk/small_ops_runner.hpp — runs one case of an element-wise op of the
// decode step (RoPE, KV-cache append, SwiGLU, Add / bias, QK-norm) on the GPU
// and on the reference, and compares the bits (shared by tests/vk and property/).
//
// The references are the normative portable functions of ref/ops.hpp (each
// case also checks that the dispatching ref:: function, x86 on this machine,
// gives the same bits). Outputs are NaN-filled before the dispatch (in-place
// ops start from their input) and followed by a guard region; the KV cache
// starts NaN-filled everywhere, so a write to a wrong row shows up too.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "ops_harness.hpp"
#include "qvk/numerics/flush.hpp"
#include "qvk/numerics/half.hpp"
#include "qvk/ops/add.hpp"
#include "qvk/ops/kv_append.hpp"
#include "qvk/ops/rmsnorm.hpp"
#include "qvk/ops/rope.hpp"
#include "qvk/ops/rope_table.hpp"
#include "qvk/ops/swiglu.hpp"
#include "qvk/ref/ops.hpp"

namespace qvk::vk::opstest {

inline constexpr std::uint32_t kWorkgroupSizes[] = {8, 32, 64, 128, 256};

// Calls f.template operator()<WG>() for a workgroup size of kWorkgroupSizes.
template <class F>
decltype(auto) with_workgroup(std::uint32_t wg, F&& f) {
  switch (wg) {
    case 8:
      return f.template operator()<8>();
    case 32:
      return f.template operator()<32>();
    case 64:
      return f.template operator()<64>();
    case 128:
      return f.template operator()<128>();
    case 256:
      return f.template operator()<256>();
  }
  throw std::invalid_argument("workgroup size not instantiated in the tests: " + std::to_string(wg));
}

// ---- inputs ---------------------------------------------------------------

// Input classes: activation-like values over many scales, including values
// whose products or sums overflow, flush (tiny) or cancel exactly.
enum class Values { Ordinary, Huge, Tiny, AnyExponent, Zeros, Mixed };

inline float draw(std::mt19937_64& rng, Values cls) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> small(-30, 30), any(-140, 125), pick(0, 9);
  const float v = normal(rng);
  switch (cls) {
    case Values::Ordinary:
      return std::ldexp(v, small(rng) / 6);
    case Values::Huge:
      return std::ldexp(v, 100 + small(rng) / 3);
    case Values::Tiny:
      return std::ldexp(v, -120 + small(rng) / 3);
    case Values::AnyExponent:
      return std::ldexp(v, any(rng));
    case Values::Zeros:
      return (rng() & 3) == 0 ? ((rng() & 1) ? -0.0f : 0.0f) : v;
    case Values::Mixed:
      return draw(rng, static_cast<Values>(pick(rng) % 5));
  }
  return v;
}

// n values of one class (Mixed: a class per value), flushed as activations are.
inline std::vector<float> activations(std::mt19937_64& rng, std::size_t n, Values cls) {
  std::vector<float> v(n);
  for (auto& x : v) x = numerics::flush(draw(rng, cls));
  return v;
}

inline Values random_class(std::mt19937_64& rng) { return static_cast<Values>(rng() % 6); }

// ---- RoPE -----------------------------------------------------------------

struct RopeCase {
  std::uint32_t rows = 1, heads = 1, head_dim = 128, pos0 = 0;
  ops::PositionFrom from = ops::PositionFrom::PushConstant;
  std::uint32_t buffer_pos = 0;  // pos[0] in the Buffer form
  model::RopeScaling scaling{};
  float base = 1e6f;
  std::uint32_t table_positions = 64;
  std::uint32_t workgroup = 64, subgroup = 0;
  std::vector<float> x;
};

inline std::string describe(const RopeCase& c) {
  return "rope rows=" + std::to_string(c.rows) + " heads=" + std::to_string(c.heads) +
         " head_dim=" + std::to_string(c.head_dim) + " pos0=" + std::to_string(c.pos0) +
         " from_buffer=" + std::to_string(c.from == ops::PositionFrom::Buffer) + "(" + std::to_string(c.buffer_pos) +
         ") table=" + std::to_string(c.table_positions) +
         " yarn=" + std::to_string(c.scaling.type == model::RopeScalingType::Yarn) +
         " workgroup=" + std::to_string(c.workgroup) + " subgroup=" + std::to_string(c.subgroup);
}

inline ops::RopeTable rope_table(const RopeCase& c) {
  model::Config cfg;
  cfg.head_dim = c.head_dim;
  cfg.rope_base = c.base;
  cfg.rope_scaling = c.scaling;
  return ops::make_rope_table(cfg, c.table_positions);
}

// Row r at position pos0 + r (+ buffer_pos), rotated by ref::portable::rope_neox
// (positions outside the table: the canonical NaN, as the op defines).
inline std::vector<float> reference(const RopeCase& c, const ops::RopeTable& t, bool x86 = false) {
  std::vector<float> x = c.x;
  const std::size_t row = std::size_t(c.heads) * c.head_dim;
  for (std::uint32_t r = 0; r < c.rows; ++r) {
    std::uint64_t p = std::uint64_t(c.pos0) + r + (c.from == ops::PositionFrom::Buffer ? c.buffer_pos : 0);
    float* xr = x.data() + r * row;
    if (p >= c.table_positions) {
      std::fill(xr, xr + row, std::bit_cast<float>(numerics::kCanonicalNan));
      continue;
    }
    if (x86)
      ref::rope_neox(xr, c.heads, c.head_dim, t.cos_row(std::uint32_t(p)), t.sin_row(std::uint32_t(p)));
    else
      ref::portable::rope_neox(xr, c.heads, c.head_dim, t.cos_row(std::uint32_t(p)), t.sin_row(std::uint32_t(p)));
  }
  return x;
}

inline Comparison run_on_gpu(const RopeCase& c) {
  const ops::RopeTable t = rope_table(c);
  // The op reads the table unflushed, like the reference: it must hold no subnormal.
  for (const std::vector<float>* v : {&t.cos, &t.sin})
    for (float f : *v)
      if (f != 0.0f && numerics::flush(f) == 0.0f)
        return {false, "the RoPE table holds a subnormal: " + hex(std::bit_cast<std::uint32_t>(f))};
  const std::vector<std::uint32_t> want = words(reference(c, t));
  if (want != words(reference(c, t, true)))
    return {false, "ref::rope_neox (x86) differs from ref::portable::rope_neox"};
  const std::vector<std::uint32_t> x0 = words(c.x);
  Buffer x = output(x0.size(), &x0), cs = input(words(t.cos)), sn = input(words(t.sin));
  Buffer pos = input({c.buffer_pos});
  const Comparison d = with_workgroup(c.workgroup, [&]<std::uint32_t WG>() {
    if (c.from == ops::PositionFrom::Buffer) {
      using Op = ops::RopeNeox<WG, ops::PositionFrom::Buffer>;
      return dispatch<Op>({whole(x), whole(cs), whole(sn), whole(pos)},
                          {c.rows, c.heads, c.head_dim, c.pos0, c.table_positions}, c.subgroup);
    }
    using Op = ops::RopeNeox<WG>;
    return dispatch<Op>({whole(x), whole(cs), whole(sn)}, {c.rows, c.heads, c.head_dim, c.pos0, c.table_positions},
                        c.subgroup);
  });
  if (!d.ok) return d;
  return compare("x (rotated)", read(x), want);
}

// ---- KV-cache append ------------------------------------------------------

struct KvCase {
  std::uint32_t rows = 1, kv_dim = 1024, pos0 = 0, capacity = 16;
  ops::PositionFrom from = ops::PositionFrom::PushConstant;
  std::uint32_t buffer_pos = 0;
  std::uint32_t workgroup = 64, subgroup = 0;
  std::vector<float> k, v;
};

inline std::string describe(const KvCase& c) {
  return "kv_append rows=" + std::to_string(c.rows) + " kv_dim=" + std::to_string(c.kv_dim) +
         " pos0=" + std::to_string(c.pos0) + " capacity=" + std::to_string(c.capacity) +
         " from_buffer=" + std::to_string(c.from == ops::PositionFrom::Buffer) + "(" + std::to_string(c.buffer_pos) +
         ") workgroup=" + std::to_string(c.workgroup) + " subgroup=" + std::to_string(c.subgroup);
}

// The cache words before the append: every half 0xa5a5 / 0x7fa5, i.e. every
// word kUnwrittenBits, so rows the op must not touch keep that pattern.
inline ref::KvLayer initial_cache(const KvCase& c) {
  ref::KvLayer kv;
  kv.k.resize(std::size_t(c.capacity) * c.kv_dim);
  for (std::size_t i = 0; i < kv.k.size(); ++i) kv.k[i] = i % 2 == 0 ? 0xa5a5 : 0x7fa5;
  kv.v = kv.k;
  return kv;
}

inline std::vector<std::uint32_t> cache_words(const std::vector<std::uint16_t>& h) {
  std::vector<std::uint32_t> w(h.size() / 2);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::uint32_t(h[2 * i]) | (std::uint32_t(h[2 * i + 1]) << 16);
  return w;
}

// The forward's append: ref::to_f16 of each row into the cache at its
// position (numerics::f32_to_f16_bits per element; the x86 path must agree).
inline Comparison reference(const KvCase& c, ref::KvLayer& kv) {
  kv = initial_cache(c);
  for (std::uint32_t r = 0; r < c.rows; ++r) {
    const std::uint64_t p = std::uint64_t(c.pos0) + r + (c.from == ops::PositionFrom::Buffer ? c.buffer_pos : 0);
    if (p >= c.capacity) continue;  // the Buffer form writes nothing outside the cache
    const std::size_t src = std::size_t(r) * c.kv_dim, dst = std::size_t(p) * c.kv_dim;
    for (std::size_t j = 0; j < c.kv_dim; ++j) {
      kv.k[dst + j] = numerics::f32_to_f16_bits(c.k[src + j]);
      kv.v[dst + j] = numerics::f32_to_f16_bits(c.v[src + j]);
    }
    std::vector<std::uint16_t> k86(c.kv_dim), v86(c.kv_dim);
    ref::to_f16(c.k.data() + src, k86.data(), c.kv_dim);
    ref::to_f16(c.v.data() + src, v86.data(), c.kv_dim);
    if (!std::equal(k86.begin(), k86.end(), kv.k.begin() + std::ptrdiff_t(dst)) ||
        !std::equal(v86.begin(), v86.end(), kv.v.begin() + std::ptrdiff_t(dst)))
      return {false, "ref::to_f16 (x86) differs from numerics::f32_to_f16_bits"};
  }
  return {};
}

inline Comparison run_on_gpu(const KvCase& c) {
  ref::KvLayer want;
  if (Comparison r = reference(c, want); !r.ok) return r;
  const ref::KvLayer init = initial_cache(c);
  const std::vector<std::uint32_t> k0 = cache_words(init.k), v0 = cache_words(init.v);
  Buffer k = input(words(c.k)), v = input(words(c.v)), pos = input({c.buffer_pos});
  Buffer kc = output(k0.size(), &k0), vc = output(v0.size(), &v0);
  const Comparison d = with_workgroup(c.workgroup, [&]<std::uint32_t WG>() {
    if (c.from == ops::PositionFrom::Buffer) {
      using Op = ops::KvAppend<WG, ops::PositionFrom::Buffer>;
      return dispatch<Op>({whole(k), whole(v), whole(kc), whole(vc), whole(pos)},
                          {c.rows, c.kv_dim, c.pos0, c.capacity}, c.subgroup);
    }
    using Op = ops::KvAppend<WG>;
    return dispatch<Op>({whole(k), whole(v), whole(kc), whole(vc)}, {c.rows, c.kv_dim, c.pos0, c.capacity}, c.subgroup);
  });
  if (!d.ok) return d;
  Comparison r = compare("k_cache word", read(kc), cache_words(want.k), false);
  if (r.ok) r = compare("v_cache word", read(vc), cache_words(want.v), false);
  return r;
}

// ---- SwiGLU ---------------------------------------------------------------

struct SwiGluCase {
  std::uint32_t n = 1;
  std::uint32_t workgroup = 64, subgroup = 0;
  std::vector<float> g, u;
};

inline std::string describe(const SwiGluCase& c) {
  return "swiglu n=" + std::to_string(c.n) + " workgroup=" + std::to_string(c.workgroup) +
         " subgroup=" + std::to_string(c.subgroup);
}

// Gate values across exp's whole range: saturating sigmoid both ways, near 0, tiny.
inline std::vector<float> gates(std::mt19937_64& rng, std::size_t n) {
  std::vector<float> g(n);
  std::uniform_real_distribution<float> wide(-110.0f, 110.0f), narrow(-8.0f, 8.0f);
  for (auto& x : g) {
    const auto r = rng() % 4;
    x = numerics::flush(r == 0 ? wide(rng) : r == 1 ? draw(rng, Values::Mixed) : narrow(rng));
  }
  return g;
}

// NaN results are compared as a class ("both NaN") only when `nan_class` is
// set: the op's contract leaves NaN payloads to the device (it produces NaN
// only from non-finite inputs, e.g. g = −inf gives −inf·0).
inline Comparison run_on_gpu(const SwiGluCase& c, bool nan_class = false) {
  std::vector<float> want(c.n), want86(c.n);
  ref::portable::swiglu(c.g.data(), c.u.data(), want.data(), c.n);
  ref::swiglu(c.g.data(), c.u.data(), want86.data(), c.n);
  // The two CPU paths agree bit for bit, except that NaN payloads are the compiler's
  // and the vector unit's choice (the contract leaves them open) where NaN is expected.
  for (std::size_t i = 0; i < c.n; ++i)
    if (std::bit_cast<std::uint32_t>(want[i]) != std::bit_cast<std::uint32_t>(want86[i]) &&
        !(nan_class && std::isnan(want[i]) && std::isnan(want86[i])))
      return {false, "ref::swiglu (x86) differs from ref::portable::swiglu at " + std::to_string(i) + ": " +
                         hex(std::bit_cast<std::uint32_t>(want86[i])) + " vs " + hex(std::bit_cast<std::uint32_t>(want[i]))};
  Buffer g = input(words(c.g)), u = input(words(c.u)), out = output(c.n);
  const Comparison d = with_workgroup(c.workgroup, [&]<std::uint32_t WG>() {
    return dispatch<ops::SwiGlu<WG>>({whole(g), whole(u), whole(out)}, {c.n}, c.subgroup);
  });
  if (!d.ok) return d;
  std::vector<std::uint32_t> got = read(out), w = words(want);
  if (nan_class)
    for (std::size_t i = 0; i < w.size(); ++i)
      if (std::isnan(want[i]) && std::isnan(std::bit_cast<float>(got[i])) && got[i] != kUnwrittenBits) got[i] = w[i];
  return compare("out", got, w);
}

// ---- Add / bias -----------------------------------------------------------

struct AddCase {
  std::uint32_t rows = 1, n = 1;
  bool broadcast = true;  // the Qwen2 bias
  std::uint32_t workgroup = 64, subgroup = 0;
  std::vector<float> x, y;  // y: [n] (bias, as stored: not flushed) or [rows][n]
};

inline std::string describe(const AddCase& c) {
  return std::string(c.broadcast ? "add_bias" : "add") + " rows=" + std::to_string(c.rows) +
         " n=" + std::to_string(c.n) + " workgroup=" + std::to_string(c.workgroup) +
         " subgroup=" + std::to_string(c.subgroup);
}

inline std::vector<float> reference(const AddCase& c) {
  std::vector<float> x = c.x;
  for (std::uint32_t r = 0; r < c.rows; ++r) {
    float* xr = x.data() + std::size_t(r) * c.n;
    if (c.broadcast) {
      const model::TensorView b{quant::Type::F32, reinterpret_cast<const std::byte*>(c.y.data()), c.n, 1};
      ref::portable::add_bias(xr, b);
    } else {
      ref::portable::add_inplace(xr, c.y.data() + std::size_t(r) * c.n, c.n);
    }
  }
  return x;
}

inline Comparison run_on_gpu(const AddCase& c) {
  const std::vector<std::uint32_t> want = words(reference(c)), x0 = words(c.x);
  Buffer x = output(x0.size(), &x0), y = input(words(c.y));
  const Comparison d = with_workgroup(c.workgroup, [&]<std::uint32_t WG>() {
    if (c.broadcast) return dispatch<ops::Add<WG, true>>({whole(x), whole(y)}, {c.rows, c.n}, c.subgroup);
    return dispatch<ops::Add<WG, false>>({whole(x), whole(y)}, {c.rows, c.n}, c.subgroup);
  });
  if (!d.ok) return d;
  return compare("x", read(x), want);
}

// ---- QK-norm: RmsNorm over rows = T·heads, n = head_dim --------------------

struct QkNormCase {
  std::uint32_t tokens = 1, heads = 1, head_dim = 128;
  float eps = 1e-6f;
  std::uint32_t workgroup = 64, subgroup = 0;
  std::vector<float> x, w;  // x [tokens][heads·head_dim], w [head_dim]
};

inline std::string describe(const QkNormCase& c) {
  return "qk_norm tokens=" + std::to_string(c.tokens) + " heads=" + std::to_string(c.heads) +
         " head_dim=" + std::to_string(c.head_dim) + " workgroup=" + std::to_string(c.workgroup) +
         " subgroup=" + std::to_string(c.subgroup);
}

// The forward pass's loop (ref/forward.hpp), per token and head, in place.
inline std::vector<float> reference(const QkNormCase& c) {
  std::vector<float> x = c.x;
  const std::size_t hd = c.head_dim, row = std::size_t(c.heads) * hd;
  for (std::uint32_t t = 0; t < c.tokens; ++t)
    for (std::uint32_t hh = 0; hh < c.heads; ++hh)
      ref::rmsnorm(x.data() + t * row + hh * hd, c.w.data(), hd, c.eps, x.data() + t * row + hh * hd);
  return x;
}

inline Comparison run_on_gpu(const QkNormCase& c) {
  const std::vector<std::uint32_t> want = words(reference(c));
  // The portable (normative) RMSNorm gives the same bits as the x86 one the forward calls.
  std::vector<float> port = c.x;
  for (std::size_t r = 0; r < std::size_t(c.tokens) * c.heads; ++r)
    ref::portable::rmsnorm(port.data() + r * c.head_dim, c.w.data(), c.head_dim, c.eps, port.data() + r * c.head_dim);
  if (words(port) != want) return {false, "ref::rmsnorm (x86) differs from ref::portable::rmsnorm"};
  Buffer x = input(words(c.x)), w = input(words(c.w)), y = output(want.size());
  const Comparison d = with_workgroup(c.workgroup, [&]<std::uint32_t WG>() {
    return dispatch<ops::RmsNorm<WG>>({whole(x), whole(w), whole(y)}, {c.tokens * c.heads, c.head_dim, c.eps},
                                      c.subgroup);
  });
  if (!d.ok) return d;
  return compare("y", read(y), want);
}

}  // namespace qvk::vk::opstest
