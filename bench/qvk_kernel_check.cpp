// qvk_kernel_check — the CPU reference's x86 kernels (AVX2 and AVX-512 builds) give the
// same bits as its portable loops, which are the numerics contract written plainly.
// Not timed; exits 1 on the first mismatch (printed with both values in hex), 77 when
// the CPU has no AVX2 (nothing to compare). Fixed seed, printed.
//
// Covers: exp / recip / f32->f16 on sweeps of bit patterns; rmsnorm, rope, swiglu,
// add_inplace and attention on random inputs with tiny, zero and huge values; GEMM for
// every weight type (Q5_K too, which no model mix uses) with ragged row counts, rows
// of more than 32 blocks, 1..40 vectors (both kernel paths), zero and extreme blocks.
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "qvk/quant/formats.hpp"
#include "qvk/quant/row.hpp"
#include "qvk/ref/cpu_features.hpp"
#include "qvk/ref/gemm.hpp"
#include "qvk/ref/ops.hpp"

namespace {

using namespace qvk;
constexpr std::uint32_t kSeed = 20240611;
std::mt19937 rng(kSeed);
int failures = 0;
long checks = 0, nan_payload_differences = 0;

// Bit equality, except that two NaNs count as equal: where two different NaNs meet in
// an add (e.g. inf·0's default NaN and an input NaN) the result's sign and payload
// follow the operand order, which the portable code leaves to the compiler (a + b
// may be emitted either way round). The contract pins NaN only where it says
// "canonical NaN"; no finite result may differ.
bool same(const float* a, const float* b, std::size_t n, const std::string& what) {
  ++checks;
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = std::bit_cast<std::uint32_t>(a[i]), y = std::bit_cast<std::uint32_t>(b[i]);
    if (x != y && std::isnan(a[i]) && std::isnan(b[i])) {
      ++nan_payload_differences;
      continue;
    }
    if (x != y) {
      std::printf("MISMATCH %s at %zu: portable 0x%08x (%g) vs x86 0x%08x (%g)\n", what.c_str(), i, x, double(a[i]), y,
                  double(b[i]));
      ++failures;
      return false;
    }
  }
  return true;
}

// A float with a random exponent over the whole range (and random sign / mantissa).
float wild() {
  const std::uint32_t b = static_cast<std::uint32_t>(rng());
  switch (rng() % 8) {
    case 0: return 0.0f;
    case 1: return std::bit_cast<float>(b & 0x807fffffu);  // subnormal or ±0
    case 2: return std::bit_cast<float>((b & 0x80ffffffu) | 0x00800000u);  // ±FLT_MIN..2 FLT_MIN
    default: return std::bit_cast<float>((b & 0x807fffffu) | ((97u + b % 60u) << 23));  // 2^-30 .. 2^29
  }
}
float normal(float scale = 1.0f) { return std::normal_distribution<float>(0.0f, scale)(rng); }

template <class Ref>
void sweep_unary(const char* name, void (*fn)(const float*, float*, std::size_t), Ref ref) {
  // every 61st bit pattern, plus [-100, 100] (exp's useful range) densely
  std::vector<float> in, want, got;
  for (std::uint64_t b = 0; b < (1ull << 32); b += 61) in.push_back(std::bit_cast<float>(static_cast<std::uint32_t>(b)));
  for (float x = -100.0f; x < 100.0f; x += 0.000731f) in.push_back(x);
  while (in.size() % 8) in.push_back(1.0f);
  want.resize(in.size());
  got.resize(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) want[i] = ref(in[i]);
  fn(in.data(), got.data(), in.size());
  same(want.data(), got.data(), in.size(), name);
}

void check_numerics() {
  const auto exp_ref = [](float x) { return numerics::exp(x); };
  const auto recip_ref = [](float x) { return numerics::recip(x); };
  sweep_unary("exp avx2", &ref::x86_avx2::exp_array, exp_ref);
  sweep_unary("recip avx2", &ref::x86_avx2::recip_array, recip_ref);
  if (ref::cpu_isa() == ref::Isa::Avx512) {
    sweep_unary("exp avx512", &ref::x86_avx512::exp_array, exp_ref);
    sweep_unary("recip avx512", &ref::x86_avx512::recip_array, recip_ref);
  }
  // f32 -> f16 bits
  std::vector<float> in;
  for (std::uint64_t b = 0; b < (1ull << 32); b += 29) in.push_back(std::bit_cast<float>(static_cast<std::uint32_t>(b)));
  std::vector<std::uint16_t> want(in.size()), got(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) want[i] = numerics::f32_to_f16_bits(in[i]);
  ref::x86_avx2::to_f16(in.data(), got.data(), in.size());
  ++checks;
  for (std::size_t i = 0; i < in.size(); ++i)
    if (want[i] != got[i]) {
      std::printf("MISMATCH f32->f16 of 0x%08x: 0x%04x vs 0x%04x\n", std::bit_cast<std::uint32_t>(in[i]), want[i], got[i]);
      ++failures;
      break;
    }
}

void check_ops() {
  for (int rep = 0; rep < 200; ++rep) {
    const std::size_t n = std::size_t(8 + rng() % 600);
    std::vector<float> x(n), w(n), u(n), a(n), b(n), c(n);
    for (std::size_t i = 0; i < n; ++i) {
      x[i] = rep % 3 == 0 ? wild() : normal(rep % 5 == 0 ? 30.0f : 1.0f);
      w[i] = rep % 4 == 0 ? wild() : normal();
      u[i] = normal();
    }
    const std::string tag = " n=" + std::to_string(n) + " rep=" + std::to_string(rep);
    ref::portable::rmsnorm(x.data(), w.data(), n, 1e-6f, a.data());
    ref::x86_avx2::rmsnorm(x.data(), w.data(), n, 1e-6f, b.data());
    same(a.data(), b.data(), n, "rmsnorm avx2" + tag);
    if (ref::cpu_isa() == ref::Isa::Avx512) {
      ref::x86_avx512::rmsnorm(x.data(), w.data(), n, 1e-6f, c.data());
      same(a.data(), c.data(), n, "rmsnorm avx512" + tag);
    }
    ref::portable::swiglu(x.data(), u.data(), a.data(), n);
    for (auto* fn : {&ref::x86_avx2::swiglu, &ref::x86_avx512::swiglu}) {
      if (fn == &ref::x86_avx512::swiglu && ref::cpu_isa() != ref::Isa::Avx512) continue;
      const std::size_t done = (*fn)(x.data(), u.data(), b.data(), n);
      ref::portable::swiglu(x.data() + done, u.data() + done, b.data() + done, n - done);
      same(a.data(), b.data(), n, "swiglu" + tag);
    }
    a = x;
    b = x;
    ref::portable::add_inplace(a.data(), w.data(), n);
    ref::x86_avx2::add_inplace(b.data(), w.data(), n);
    same(a.data(), b.data(), n, "add_inplace" + tag);
    const std::size_t hd = 2 * (1 + rng() % 80), heads = n / hd;
    if (heads > 0) {
      std::vector<float> cs(hd / 2), sn(hd / 2);
      for (std::size_t i = 0; i < hd / 2; ++i) cs[i] = std::cos(normal()), sn[i] = std::sin(normal());
      a = x;
      b = x;
      ref::portable::rope_neox(a.data(), heads, hd, cs.data(), sn.data());
      ref::x86_avx2::rope_neox(b.data(), heads, hd, cs.data(), sn.data());
      same(a.data(), b.data(), heads * hd, "rope" + tag);
    }
  }
}

void check_attention() {
  for (std::size_t head_dim : {64u, 128u, 40u})
    for (std::size_t n_pos : {1u, 5u, 63u, 64u, 65u, 130u, 200u}) {
      const std::size_t heads = 4, kv_heads = 2, kv_dim = kv_heads * head_dim;
      ref::KvLayer kv;
      kv.k.resize(n_pos * kv_dim);
      kv.v.resize(n_pos * kv_dim);
      for (auto& h : kv.k) h = numerics::f32_to_f16_bits(normal(3.0f));
      if (n_pos == 130)  // scores far apart: probabilities below 2^-78 (the flushing p·v path)
        for (std::size_t i = 0; i < 64 * kv_dim; ++i) kv.k[i] = numerics::f32_to_f16_bits(normal(300.0f));
      for (auto& h : kv.v) h = numerics::f32_to_f16_bits(n_pos == 65 ? wild() : normal());
      std::vector<float> q(heads * head_dim), a(q.size()), b(q.size());
      for (float& v : q) v = normal(2.0f);
      if (n_pos == 63) q[3] = 1e-30f;  // a tiny query element: the flushing q·k path
      const std::string tag = " head_dim=" + std::to_string(head_dim) + " n_pos=" + std::to_string(n_pos);
      ref::portable::attention(q.data(), kv, n_pos, heads, kv_heads, head_dim, a.data());
      if (head_dim % 8 == 0) {
        ref::x86_avx2::attention(q.data(), kv.k.data(), kv.v.data(), n_pos, heads, kv_heads, head_dim, b.data(), 0, heads);
        same(a.data(), b.data(), a.size(), "attention avx2" + tag);
        if (ref::cpu_isa() == ref::Isa::Avx512) {
          ref::x86_avx512::attention(q.data(), kv.k.data(), kv.v.data(), n_pos, heads, kv_heads, head_dim, b.data(), 0, heads);
          same(a.data(), b.data(), a.size(), "attention avx512" + tag);
        }
      }
    }
}

// Random weights of type t: quantized from normal rows, some blocks zero or with wild scales.
std::vector<std::byte> make_weights(quant::Type t, std::size_t rows, std::size_t cols) {
  const std::size_t rb = quant::row_bytes(t, cols);
  std::vector<std::byte> out(rows * rb);
  std::vector<float> row(cols);
  for (std::size_t r = 0; r < rows; ++r) {
    const float scale = r % 7 == 3 ? 1e-6f : (r % 7 == 5 ? 300.0f : 1.0f);
    for (std::size_t c = 0; c < cols; ++c) row[c] = r % 11 == 4 ? 0.0f : normal(scale);
    if (t == quant::Type::F32 || t == quant::Type::F16 || t == quant::Type::BF16)
      for (std::size_t c = 0; c < cols; c += 17) row[c] = wild();
    quant::quantize_row(t, row, std::span(out.data() + r * rb, rb));
  }
  return out;
}

void check_gemm() {
  using quant::Type;
  ref::ThreadPool pool(2);
  for (Type t : {Type::Q4_K, Type::Q5_K, Type::Q6_K, Type::Q8_0, Type::Q4_0, Type::F32, Type::F16, Type::BF16}) {
    const bool k_quant = t == Type::Q4_K || t == Type::Q5_K || t == Type::Q6_K;
    for (std::size_t cols : {256u, 1024u, 256u * 33u, 512u + 256u})
      for (std::size_t rows : {1u, 9u, 40u, 67u}) {
        if (!k_quant && cols == 256u * 33u && rows > 9) continue;
        const auto wbytes = make_weights(t, rows, cols);
        const model::TensorView w{t, wbytes.data(), cols, rows};
        for (std::size_t B : {1u, 3u, 15u, 16u, 17u, 40u}) {
          std::vector<float> x(B * cols), a(B * rows), b(B * rows);
          for (std::size_t i = 0; i < x.size(); ++i) x[i] = (i / 256) % 9 == 2 ? wild() : normal();
          if (B == 17)  // a vector that is all zero, one with tiny values only
            for (std::size_t c = 0; c < cols; ++c) x[3 * cols + c] = 0.0f, x[5 * cols + c] = 1e-39f;
          if (B == 40) {  // non-finite inputs (a NaN activation block gives NaN terms)
            x[7 * cols + 5] = std::nanf("");
            x[9 * cols + cols - 1] = -INFINITY;
          }
          const std::string tag = std::string(quant::name(t)) + " rows=" + std::to_string(rows) +
                                  " cols=" + std::to_string(cols) + " B=" + std::to_string(B);
          ref::gemm_portable(w, x.data(), B, a.data(), pool);
          ref::x86_avx2::gemm(w, x.data(), B, b.data(), pool);
          same(a.data(), b.data(), a.size(), "gemm avx2 " + tag);
          if (ref::cpu_isa() == ref::Isa::Avx512) {
            ref::x86_avx512::gemm(w, x.data(), B, b.data(), pool);
            same(a.data(), b.data(), a.size(), "gemm avx512 " + tag);
          }
        }
      }
  }
}

// Several matrices on one input in one pass (gemm_multi): mixed K-quant types and row
// counts, and Q8_0 with Q4_0; against separate portable GEMMs.
void check_gemm_multi() {
  using quant::Type;
  ref::ThreadPool pool(2);
  const std::vector<std::vector<std::pair<Type, std::size_t>>> sets = {
      {{Type::Q4_K, 40}, {Type::Q6_K, 17}, {Type::Q5_K, 8}}, {{Type::Q8_0, 33}, {Type::Q4_0, 16}}};
  for (const auto& set : sets)
    for (std::size_t B : {1u, 5u, 16u, 37u}) {
      const std::size_t cols = 512;
      std::vector<std::vector<std::byte>> bytes;
      std::vector<model::TensorView> views;
      for (const auto& [t, rows] : set) {
        bytes.push_back(make_weights(t, rows, cols));
        views.push_back(model::TensorView{t, bytes.back().data(), cols, rows});
      }
      std::vector<const model::TensorView*> ptrs;
      std::vector<std::vector<float>> want, got;
      std::vector<float*> outs;
      std::vector<float> x(B * cols);
      for (float& v : x) v = normal();
      for (const auto& v : views) {
        ptrs.push_back(&v);
        want.emplace_back(B * v.rows);
        got.emplace_back(B * v.rows);
        ref::gemm_portable(v, x.data(), B, want.back().data(), pool);
      }
      for (auto& g : got) outs.push_back(g.data());
      ref::gemm_multi(ptrs, x.data(), B, outs, pool);
      for (std::size_t m = 0; m < views.size(); ++m)
        same(want[m].data(), got[m].data(), want[m].size(),
             "gemm_multi " + std::string(quant::name(views[m].type)) + " B=" + std::to_string(B));
    }
}

}  // namespace

int main() {
  if (ref::cpu_isa() == ref::Isa::Portable) {
    std::puts("qvk_kernel_check: no AVX2 on this CPU (or QVK_CPU_ISA=portable): nothing to compare");
    return 77;
  }
  std::printf("qvk_kernel_check: seed %u, isa %s\n", kSeed, ref::isa_name(ref::cpu_isa()));
  check_gemm();
  check_gemm_multi();
  check_ops();
  check_attention();
  check_numerics();
  std::printf("%s: %ld comparisons, %d mismatches (%ld NaN results with another NaN's sign/payload)\n",
              failures ? "FAIL" : "OK", checks, failures, nan_payload_differences);
  return failures ? 1 : 0;
}
