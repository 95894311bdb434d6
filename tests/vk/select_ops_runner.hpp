// tests/vk/select_ops_runner.hpp — runs greedy argmax and top-k selection over
// a vocabulary on the GPU and compares with the CPU sampler
// (runtime::greedy_token, runtime::gather_candidates): the token id, and for
// top-k every (sanitized logit, id) pair in order, bit for bit. Partial buffers
// are NaN-filled with a guard too, so every workgroup's key must be written.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ops_harness.hpp"
#include "qvk/ops/argmax.hpp"
#include "qvk/ops/topk.hpp"
#include "qvk/runtime/sampler_candidates.hpp"
#include "small_ops_runner.hpp"

namespace qvk::vk::opstest {

// Logit distributions: ordinary, heavy ties across workgroups, every special
// value (NaN, ±inf, ±0, subnormals, FLT_MAX), nearly all NaN / −inf, and the
// best logits placed at the edges (id 0, the ragged tail).
enum class Logits { Normal, Ties, Specials, MostlyNan, AllNan, EdgeMax };
inline constexpr int kLogitKinds = 6;

inline const char* name(Logits l) {
  constexpr const char* kNames[] = {"normal", "ties", "specials", "mostly_nan", "all_nan", "edge_max"};
  return kNames[static_cast<int>(l)];
}

inline float special(std::mt19937_64& rng) {
  constexpr std::uint32_t kBits[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7fffffffu, 0x7f800000u, 0xff800000u,
                                     0x00000000u, 0x80000000u, 0x00000001u, 0x807fffffu, 0x00800000u, 0x80800000u,
                                     0x7f7fffffu, 0xff7fffffu, 0x00800001u, 0x3f800000u};
  return std::bit_cast<float>(kBits[rng() % std::size(kBits)]);
}

inline std::vector<float> make_logits(std::mt19937_64& rng, std::uint32_t n, Logits kind) {
  std::vector<float> z(n);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  switch (kind) {
    case Logits::Normal:
      for (auto& x : z) x = normal(rng);
      break;
    case Logits::Ties:  // a few levels: the best level is shared by many ids in many workgroups
      for (auto& x : z) x = float(int(rng() % 4)) - 1.0f;
      break;
    case Logits::Specials:
      for (auto& x : z) x = (rng() % 3 == 0) ? special(rng) : normal(rng);
      break;
    case Logits::MostlyNan:
      for (auto& x : z)
        x = (rng() % 97 == 0) ? normal(rng) : (rng() % 2 ? special(rng) : std::bit_cast<float>(0x7fc00000u));
      for (auto& x : z)  // keep NaN / −inf / tiny only, plus the rare ordinary value
        if (std::isinf(x) && x > 0) x = std::bit_cast<float>(0xff800000u);
      break;
    case Logits::AllNan:
      for (auto& x : z) x = rng() % 2 ? std::bit_cast<float>(0x7fc00000u | std::uint32_t(rng() % 0x3fffff)) : -INFINITY;
      break;
    case Logits::EdgeMax:
      for (auto& x : z) x = normal(rng);
      z[0] = 100.0f;
      z[n - 1] = 100.0f;                                        // tie with id 0: 0 wins (and both lead the top-k)
      if (n > 2) z[n - 2] = std::bit_cast<float>(0x7f800000u);  // +inf -> FLT_MAX beats both
      break;
  }
  return z;
}

struct SelectCase {
  std::uint32_t n = 1, k = 1;
  Logits kind = Logits::Normal;
  std::uint32_t workgroup = 64, subgroup = 0;
  std::vector<float> logits;
};

inline std::string describe(const SelectCase& c) {
  return "n=" + std::to_string(c.n) + " k=" + std::to_string(c.k) + " logits=" + name(c.kind) +
         " workgroup=" + std::to_string(c.workgroup) + " subgroup=" + std::to_string(c.subgroup);
}

// Greedy: token[0] = runtime::greedy_token, token[1] = its sanitized logit.
inline Comparison run_argmax(const SelectCase& c) {
  const std::int32_t want_id = runtime::greedy_token(c.logits);
  const std::vector<std::uint32_t> want{
      std::uint32_t(want_id), std::bit_cast<std::uint32_t>(runtime::sanitize_logit(c.logits[std::size_t(want_id)]))};
  const ops::ArgmaxProblem p{c.n};
  Buffer z = input(words(c.logits)), partial = output(2ull * ops::argmax_partials(c.n)), token = output(2);
  const Comparison d = with_workgroup(c.workgroup, [&]<std::uint32_t WG>() {
    Recorder rec(device(), pipelines());
    rec.set_subgroup_size(c.subgroup);
    submit_and_wait(device(), [&](VkCommandBuffer cmd) {
      record<ops::ArgmaxPartial<WG>>(rec, cmd, {whole(z), whole(partial)}, p);
      record<ops::ArgmaxFinal<WG>>(rec, cmd, {whole(partial), whole(token)}, p);
    });
    return rec.dispatches() == 2 ? Comparison{} : Comparison{false, "argmax did not dispatch twice"};
  });
  if (!d.ok) return d;
  const std::vector<std::uint32_t> part = read(partial);
  for (std::size_t i = 0; i < 2ull * ops::argmax_partials(c.n); ++i)
    if (part[i] == kUnwrittenBits) return {false, "partial key word " + std::to_string(i) + " never written"};
  return compare("token (id, logit)", read(token), want, false);
}

// Top-k: values[j], ids[j] = runtime::gather_candidates(logits, k)[j].
inline Comparison run_topk(const SelectCase& c) {
  std::vector<runtime::Candidate> cand;
  runtime::gather_candidates(c.logits, c.k, cand);
  std::vector<std::uint32_t> want_values(c.k), want_ids(c.k);
  for (std::uint32_t j = 0; j < c.k; ++j) {
    want_values[j] = std::bit_cast<std::uint32_t>(cand[j].logit);
    want_ids[j] = std::uint32_t(cand[j].id);
  }
  const ops::TopKProblem p{c.n, c.k};
  const std::uint64_t keys = 2ull * c.k * ops::topk_partials(c.n);
  Buffer z = input(words(c.logits)), partial = output(keys), values = output(c.k), ids = output(c.k);
  const Comparison d = with_workgroup(c.workgroup, [&]<std::uint32_t WG>() {
    Recorder rec(device(), pipelines());
    rec.set_subgroup_size(c.subgroup);
    submit_and_wait(device(), [&](VkCommandBuffer cmd) {
      record<ops::TopKPartial<WG>>(rec, cmd, {whole(z), whole(partial)}, p);
      record<ops::TopKMerge<WG>>(rec, cmd, {whole(partial), whole(values), whole(ids)}, p);
    });
    return rec.dispatches() == 2 ? Comparison{} : Comparison{false, "top-k did not dispatch twice"};
  });
  if (!d.ok) return d;
  const std::vector<std::uint32_t> part = read(partial);
  for (std::size_t i = 0; i < keys; ++i)
    if (part[i] == kUnwrittenBits) return {false, "partial key word " + std::to_string(i) + " never written"};
  Comparison r = compare("ids", read(ids), want_ids, false);
  if (r.ok) r = compare("values", read(values), want_values);
  return r;
}

}  // namespace qvk::vk::opstest
