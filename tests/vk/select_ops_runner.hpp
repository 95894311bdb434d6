// tests/vk/select_ops_runner.hpp — runs greedy argmax and top-k selection over
// a vocabulary on the GPU and compares with the CPU sampler
// (runtime::greedy_token, runtime::gather_candidates): the token id, and for
// top-k every (sanitized logit, id) pair in order, bit for bit. Partial buffers
// are NaN-filled with a guard too, so every workgroup's key must be written.
// The sampler's draw (ops::SampleCandidates) is compared with
// runtime::sample_candidates alone and, after TopKPartial and TopKMerge in one
// command buffer, with runtime::sample_token on the raw logits.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "ops_harness.hpp"
#include "qvk/ops/argmax.hpp"
#include "qvk/ops/sample.hpp"
#include "qvk/ops/topk.hpp"
#include "qvk/runtime/sampler.hpp"
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

// ---- the sampler's draw -----------------------------------------------------

// A draw from the first k candidates: the settings of runtime::SampleConfig
// (never greedy; top_k = k) and u in [0, 1) on the 2^-24 grid.
struct SampleCase {
  std::uint32_t n = 1, k = 1;
  Logits kind = Logits::Normal;
  float top_p = 1.0f, min_p = 0.0f, temperature = 1.0f;  // temperature > FLT_MIN
  float u = 0.0f;
  std::uint32_t workgroup = 64, subgroup = 0;
  std::vector<float> logits;
};

inline std::string describe(const SampleCase& c) {
  auto f = [](float x) { return as_float(std::bit_cast<std::uint32_t>(x)); };
  return "n=" + std::to_string(c.n) + " k=" + std::to_string(c.k) + " logits=" + name(c.kind) + " top_p=" + f(c.top_p) +
         " min_p=" + f(c.min_p) + " temperature=" + f(c.temperature) + " u=" + f(c.u) +
         " workgroup=" + std::to_string(c.workgroup) + " subgroup=" + std::to_string(c.subgroup);
}

inline runtime::SampleConfig sample_config(const SampleCase& c) {
  runtime::SampleConfig s;
  s.greedy = false;
  s.top_k = c.k;
  s.top_p = c.top_p;
  s.min_p = c.min_p;
  s.inv_temp = runtime::inv_temperature(c.temperature);
  return s;
}

inline ops::SampleProblem sample_problem(const SampleCase& c) {
  const runtime::SampleConfig s = sample_config(c);
  return {c.k, s.top_p, s.min_p, s.inv_temp};
}

// Which branches of runtime::sample_candidates a case takes, recomputed with
// the same runtime functions, so a test can show that its cases reach every
// branch (a comparison that only ever sees index 0 would pass trivially).
struct SamplePath {
  bool all_neg_inf = false;  // z_0 = -inf: ids[0] without weights
  std::size_t k = 0, after_top_p = 0, after_min_p = 0;
  bool single = false;    // one candidate left after the filters: ids[0]
  std::size_t pick = 0;   // index drawn among the kept candidates
  bool fallback = false;  // no cumulative exceeded u * total: the last positive weight
  std::int32_t id = -1;
};

inline SamplePath sample_path(const SampleCase& c) {
  std::vector<runtime::Candidate> cand;
  runtime::gather_candidates(c.logits, c.k, cand);
  const runtime::SampleConfig s = sample_config(c);
  SamplePath path;
  path.k = path.after_top_p = path.after_min_p = cand.size();
  if (cand[0].logit == -INFINITY) {
    path.all_neg_inf = path.single = true;
    path.id = cand[0].id;
    return path;
  }
  std::vector<float> w;
  if (s.top_p < 1.0f || s.min_p > 0.0f) {
    runtime::unit_weights(cand, w);
    path.after_min_p = path.after_top_p = runtime::top_p_count(w, s.top_p);
    if (s.min_p > 0.0f)
      path.after_min_p = runtime::min_p_filter(std::span<runtime::Candidate>(cand.data(), path.after_top_p),
                                               std::span<float>(w.data(), path.after_top_p), s.min_p);
  }
  cand.resize(path.after_min_p);
  if (cand.size() == 1) {
    path.single = true;
    path.id = cand[0].id;
    return path;
  }
  runtime::temperature_weights(cand, s.inv_temp, w);
  path.pick = runtime::select_index(w, c.u);
  const float threshold = numerics::mul(c.u, runtime::total_weight(w));
  float cum = 0.0f;
  path.fallback = true;
  for (float x : w) {
    cum = numerics::add(cum, x);
    if (cum > threshold) path.fallback = false;
  }
  path.id = cand[path.pick].id;
  return path;
}

// Counts of the branches taken over a test's cases.
struct SampleCoverage {
  int cases = 0, all_neg_inf = 0, top_p_cut = 0, min_p_cut = 0, single = 0, pick_above_0 = 0, pick_last = 0,
      fallback = 0;
  void add(const SamplePath& p) {
    ++cases;
    all_neg_inf += p.all_neg_inf;
    top_p_cut += p.after_top_p < p.k;
    min_p_cut += p.after_min_p < p.after_top_p;
    single += p.single && !p.all_neg_inf;
    pick_above_0 += !p.single && p.pick > 0;
    pick_last += !p.single && p.pick + 1 == p.after_min_p;
    fallback += !p.single && p.fallback;
  }
  std::string summary() const {
    return std::to_string(cases) + " cases: all -inf " + std::to_string(all_neg_inf) + ", top-p cut " +
           std::to_string(top_p_cut) + ", min-p cut " + std::to_string(min_p_cut) + ", one left " +
           std::to_string(single) + ", pick > 0 " + std::to_string(pick_above_0) + ", pick = last " +
           std::to_string(pick_last) + ", last-positive fallback " + std::to_string(fallback);
  }
};

// The draw alone: values[j], ids[j] = gather_candidates(logits, k)[j] as
// TopKMerge writes them; token[0] = runtime::sample_candidates.
inline Comparison run_sample_candidates(const SampleCase& c) {
  std::vector<runtime::Candidate> cand;
  runtime::gather_candidates(c.logits, c.k, cand);
  std::vector<std::uint32_t> values(cand.size()), ids(cand.size());
  for (std::size_t j = 0; j < cand.size(); ++j) {
    values[j] = std::bit_cast<std::uint32_t>(cand[j].logit);
    ids[j] = std::uint32_t(cand[j].id);
  }
  std::vector<float> w;
  const std::int32_t want = runtime::sample_candidates(cand, sample_config(c), c.u, w);
  Buffer vb = input(values), ib = input(ids), draw = input({std::bit_cast<std::uint32_t>(c.u)}), token = output(1);
  const Comparison d = with_workgroup(c.workgroup, [&]<std::uint32_t WG>() {
    return dispatch<ops::SampleCandidates<WG>>({whole(vb), whole(ib), whole(draw), whole(token)}, sample_problem(c),
                                               c.subgroup);
  });
  if (!d.ok) return d;
  return compare("token", read(token), {std::uint32_t(want)}, false);
}

// The chain on the raw logits: TopKPartial -> TopKMerge -> SampleCandidates in
// one command buffer; token[0] = runtime::sample_token(logits, config, u).
inline Comparison run_sample_chain(const SampleCase& c) {
  runtime::SampleScratch scratch;
  const std::int32_t want = runtime::sample_token(c.logits, sample_config(c), c.u, scratch);
  const ops::TopKProblem p{c.n, c.k};
  const std::uint64_t keys = 2ull * c.k * ops::topk_partials(c.n);
  Buffer z = input(words(c.logits)), partial = output(keys), values = output(c.k), ids = output(c.k),
         draw = input({std::bit_cast<std::uint32_t>(c.u)}), token = output(1);
  const Comparison d = with_workgroup(c.workgroup, [&]<std::uint32_t WG>() {
    Recorder rec(device(), pipelines());
    rec.set_subgroup_size(c.subgroup);
    submit_and_wait(device(), [&](VkCommandBuffer cmd) {
      record<ops::TopKPartial<WG>>(rec, cmd, {whole(z), whole(partial)}, p);
      record<ops::TopKMerge<WG>>(rec, cmd, {whole(partial), whole(values), whole(ids)}, p);
      record<ops::SampleCandidates<WG>>(rec, cmd, {whole(values), whole(ids), whole(draw), whole(token)},
                                        sample_problem(c));
    });
    return rec.dispatches() == 3 ? Comparison{} : Comparison{false, "the chain did not dispatch three times"};
  });
  if (!d.ok) return d;
  Comparison r = compare("token", read(token), {std::uint32_t(want)}, false);
  if (!r.ok) {  // say whether the candidate list was already wrong
    std::vector<std::uint32_t> want_ids(c.k);
    std::vector<runtime::Candidate> cand;  // scratch.candidates was compacted by min-p
    runtime::gather_candidates(c.logits, c.k, cand);
    for (std::uint32_t j = 0; j < c.k; ++j) want_ids[j] = std::uint32_t(cand[j].id);
    const Comparison l = compare("ids", read(ids), want_ids, false);
    r.message += l.ok ? " (top-k list correct)" : " (top-k list wrong: " + l.message + ")";
  }
  return r;
}

}  // namespace qvk::vk::opstest
