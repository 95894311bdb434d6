// tests/vk/swiglu_quantize_runner.hpp — runs the fused SwiGLU + activation
// quantization (ops::QuantizeAct<.., ActInput::SwiGlu>) on the GPU and
// compares its blocks with the reference: quant::quantize_q8_act of
// ref::portable::swiglu(flush(g), flush(u)), field by field (codes, d, sums,
// sums16), bit for bit (shared by tests/vk/swiglu_quantize_test.cpp and
// property/swiglu_quantize_prop.cpp).
//
// The act buffer and a guard after it are filled with NaN patterns before the
// dispatch (gemv_runner.hpp's kUnwrittenBits / kGuardBits): an unwritten word
// is a mismatch, a write past the end a changed guard. The reference SwiGLU
// may make NaN (only from non-finite g or u) with a CPU-chosen payload; the
// quantizer turns any non-finite element into its block's canonical-NaN d, so
// the compared blocks never carry a payload.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "gemv_runner.hpp"
#include "qvk/numerics/flush.hpp"
#include "qvk/ops/swiglu.hpp"

namespace qvk::vk::test::swiglu_quantize {

using gemv::Comparison;
using gemv::hex;

// The workgroup sizes of the QuantizeAct tests (gemv_test.cpp, gemv_prop.cpp).
inline constexpr std::uint32_t kWorkgroups[] = {64, 128, 256};

// 0 (driver's choice) and every subgroup size the device lets us pin.
inline std::vector<std::uint32_t> subgroup_choices() {
  std::vector<std::uint32_t> s{0};
  if (device().can_pin_subgroup_size()) {
    const auto allowed = device().features().allowed_subgroup_sizes();
    s.insert(s.end(), allowed.begin(), allowed.end());
  }
  return s;
}

// Input classes for (g, u):
//   0 ordinary FFN values (g across sigmoid's useful range, u of a few scales)
//   1 wide: g across exp's whole range (saturating both ways), u of any exponent
//     (products overflow to inf, or fall below FLT_MIN and flush)
//   2 zero and tiny blocks: runs of g = 0 or u = 0, subnormal g or u (flushed at
//     load; a subnormal u beside a huge g would give a normal h unflushed),
//     ±FLT_MIN; some blocks become all zero (d = 0)
//   3 non-finite: a few ±inf / NaN in g or u (-inf gate: -inf·0 = NaN)
//   4 huge: |g|, |u| near 2^64, so g·sig·u overflows to ±inf in some elements
inline constexpr int kClasses = 5;

struct Inputs {
  std::vector<float> g, u;
};

inline Inputs make_gu(std::size_t n, std::uint64_t seed, int cls) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> gate(-12.0f, 12.0f), wide_gate(-110.0f, 110.0f);
  std::uniform_int_distribution<int> small(-6, 6), any(-149, 127), huge(60, 66);
  Inputs in{std::vector<float>(n), std::vector<float>(n)};
  for (std::size_t i = 0; i < n; ++i) {
    float g = gate(rng), u = std::ldexp(normal(rng), small(rng));
    switch (cls) {
      case 1:
        g = (rng() & 1) ? wide_gate(rng) : std::ldexp(normal(rng), any(rng));
        u = std::ldexp(normal(rng), any(rng));
        break;
      case 2: {
        const std::uint64_t b = (i / 32) % 4;  // blocks of 32 take turns
        if (b == 1) g = (rng() & 7) ? 0.0f : -0.0f;
        if (b == 2) {  // u = 0 or subnormal, g often huge: h = ±0 only because u is flushed at load
          u = (rng() & 3) ? 0.0f : std::bit_cast<float>(std::uint32_t(rng() % 0x00800001u) | (rng() & 1 ? 0x80000000u : 0u));
          if (rng() & 1) g = std::ldexp(1.0f + float(rng() % 1024) / 1024.0f, 90 + int(rng() % 37));
        }
        if (b == 3) g = std::bit_cast<float>(std::uint32_t(rng() % 0x00800001u) | (rng() & 1 ? 0x80000000u : 0u));
        break;
      }
      case 3:
        if (rng() % 61 == 0) {
          const std::uint32_t specials[] = {0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc01234u, 0x7f800001u};
          (rng() & 1 ? g : u) = std::bit_cast<float>(specials[rng() % 5]);
        }
        break;
      case 4:
        g = std::ldexp(normal(rng), huge(rng));
        u = std::ldexp(normal(rng), huge(rng));
        break;
      default:
        break;
    }
    in.g[i] = g;
    in.u[i] = u;
  }
  return in;
}

// What the fused op must quantize: SwiGlu's out on the flushed inputs. The
// dispatching ref::swiglu (x86 here) must agree with the portable twin, NaN
// payloads aside.
inline std::vector<float> reference_h(const Inputs& in) {
  const std::size_t n = in.g.size();
  std::vector<float> g(n), u(n), h(n), h86(n);
  for (std::size_t i = 0; i < n; ++i) {
    g[i] = numerics::flush(in.g[i]);
    u[i] = numerics::flush(in.u[i]);
  }
  ref::portable::swiglu(g.data(), u.data(), h.data(), n);
  ref::swiglu(g.data(), u.data(), h86.data(), n);
  for (std::size_t i = 0; i < n; ++i)
    if (std::bit_cast<std::uint32_t>(h[i]) != std::bit_cast<std::uint32_t>(h86[i]) &&
        !(std::isnan(h[i]) && std::isnan(h86[i])))
      throw std::logic_error("ref::swiglu (x86) differs from ref::portable::swiglu at " + std::to_string(i));
  return h;
}

// How the reference blocks of a case look (to assert a case exercised what it meant to).
struct BlockKinds {
  std::size_t nan = 0, zero = 0, ordinary = 0;
};

inline BlockKinds block_kinds(std::uint32_t block, const std::vector<float>& h) {
  BlockKinds k;
  for (std::size_t b = 0; b < h.size() / block; ++b) {
    bool bad = false, nonzero = false;
    for (std::size_t i = b * block; i < (b + 1) * block; ++i) {
      const std::uint32_t m = std::bit_cast<std::uint32_t>(h[i]) & 0x7fffffffu;
      bad |= m >= 0x7f800000u;
      nonzero |= m > 0x00800000u;
    }
    // d = amax·(1/127) may still flush to 0 for a nonzero block; close enough for a census.
    (bad ? k.nan : nonzero ? k.ordinary : k.zero) += 1;
  }
  return k;
}

struct Options {
  std::uint32_t subgroup = 0;
  bool vs_two_dispatches = false;  // also run SwiGlu then QuantizeAct<F32> and compare the words
};

template <std::uint32_t BE, std::uint32_t WG>
Comparison run_as(const Inputs& in, const std::vector<float>& h, const Options& opt) {
  using Op = ops::QuantizeAct<BE, WG, ops::ActInput::SwiGlu>;
  Device& d = device();
  const auto n = std::uint32_t(in.g.size());
  if (!Op::valid({n})) throw std::invalid_argument("invalid fused case: " + std::string(Op::why_invalid({n})));
  const ops::ActLayout L{BE, n};
  Buffer gbuf(d, std::uint64_t(n) * 4), ubuf(d, std::uint64_t(n) * 4);
  upload(d, gbuf, std::span<const float>(in.g));
  upload(d, ubuf, std::span<const float>(in.u));
  std::vector<std::uint32_t> init(L.words() + gemv::kGuardWords, gemv::kGuardBits);
  std::fill(init.begin(), init.begin() + std::ptrdiff_t(L.words()), gemv::kUnwrittenBits);
  Buffer act(d, init.size() * 4);
  upload(d, act, std::span<const std::uint32_t>(init));
  Recorder rec(d, pipelines());
  rec.set_subgroup_size(opt.subgroup);
  submit_and_wait(d, [&](VkCommandBuffer cmd) { record<Op>(rec, cmd, {whole(gbuf), whole(ubuf), whole(act)}, {n}); });
  if (rec.dispatches() != 1) return {false, "the recorder did not dispatch"};
  std::vector<std::uint32_t> got(init.size());
  download(d, act, std::span<std::uint32_t>(got));
  Comparison c = gemv::compare_act_blocks<BE>(got, h);
  if (!c.ok || !opt.vs_two_dispatches) return c;

  // The unfused GPU path: SwiGlu's f32 output, then QuantizeAct of it.
  Buffer hbuf(d, std::uint64_t(n) * 4), act2(d, init.size() * 4);
  upload(d, act2, std::span<const std::uint32_t>(init));
  submit_and_wait(d, [&](VkCommandBuffer cmd) {
    record<ops::SwiGlu<WG>>(rec, cmd, {whole(gbuf), whole(ubuf), whole(hbuf)}, {n});
    record<ops::QuantizeAct<BE, WG>>(rec, cmd, {whole(hbuf), whole(act2)}, {n});
  });
  std::vector<std::uint32_t> two(init.size());
  download(d, act2, std::span<std::uint32_t>(two));
  for (std::size_t i = 0; i < got.size(); ++i)
    if (got[i] != two[i])
      return {false, "word " + std::to_string(i) + ": fused " + hex(got[i]) + ", SwiGlu then QuantizeAct " + hex(two[i])};
  return {};
}

// One case: block 32 or 256, workgroup of kWorkgroups.
inline Comparison run(std::uint32_t block, std::uint32_t wg, const Inputs& in, const Options& opt = {}) {
  const std::vector<float> h = reference_h(in);
  if (block == 32) {
    if (wg == 64) return run_as<32, 64>(in, h, opt);
    if (wg == 128) return run_as<32, 128>(in, h, opt);
    if (wg == 256) return run_as<32, 256>(in, h, opt);
  } else if (block == 256) {
    if (wg == 64) return run_as<256, 64>(in, h, opt);
    if (wg == 128) return run_as<256, 128>(in, h, opt);
    if (wg == 256) return run_as<256, 256>(in, h, opt);
  }
  throw std::invalid_argument("fused swiglu+quantize block/workgroup not instantiated");
}

}  // namespace qvk::vk::test::swiglu_quantize
