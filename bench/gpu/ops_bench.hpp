// bench/gpu/ops_bench.hpp — `qvk_bench ops`: the read-bandwidth roofline, then
// each kernel at Qwen3 shapes.
//
// Modes of a row (the table's `mode` column, the JSON's "mode"):
//   cold  each timed rep reads its own copy of the weights (GEMV) or of K and V
//         (attention) from a ring of at least --rotate-mib MiB (cold_ring.hpp),
//         so no rep finds its input in L2: the figure a decode step sees. Default.
//   warm  (--warm) every rep reads the same buffers: small inputs may come from L2.
//   back_to_back  (the `bb` columns; JSON rows of their own) N GEMVs of one shape
//         on N different weight copies into N outputs, recorded with no barrier
//         between them (vk::Unbarriered) inside one timestamp bracket; the figure
//         is bracket / N: what a GEMV costs when its head and tail overlap other
//         work, as independent dispatches (q, k, v) could in a runtime.
// Attention decode is timed as one unit: AttentionChunks and AttentionCombine,
// recorded exactly as the runtime records one decode step without replay
// (runtime::vkk::record_attention, push-constant n_pos, capacity = n_pos),
// both dispatches inside one timestamp bracket; bytes counted = K + V read.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "gpu/cold_ring.hpp"
#include "gpu/op_timer.hpp"
#include "qvk/ops/attention.hpp"
#include "qvk/ops/attention_rows.hpp"
#include "qvk/ops/gemv.hpp"
#include "qvk/ops/quantize_act.hpp"
#include "qvk/ops/read_probe.hpp"
#include "qvk/ops/rmsnorm.hpp"
#include "qvk/runtime/vk_kernels.hpp"
#include "qvk/vk/buffer.hpp"

namespace qvk::bench {

struct OpsOptions {
  std::uint32_t reps = 20;
  std::uint32_t read_mib = 2048;
  std::string filter;             // non-empty: only GEMV and attention rows whose name contains it
  bool warm = false;              // --warm: one copy of the inputs (no rotation)
  std::uint32_t rotate_mib = 256; // cold mode: bytes of the ring of input copies
  std::uint32_t bb = 8;           // GEMVs per back-to-back sample (0: no back-to-back figure)
  bool quick = false;             // --quick: the smaller shapes only (for lavapipe; the CLI also sets bb = 2)
  bool stats = false;             // --stats: the driver's compile statistics, once per pipeline (print_statistics)

  std::uint64_t ring_budget() const { return warm ? 0 : std::uint64_t(rotate_mib) << 20; }
  const char* mode() const { return warm ? "warm" : "cold"; }
  bool wanted(const std::string& name) const { return filter.empty() || name.find(filter) != std::string::npos; }
};

// --stats: the driver's compile statistics of Op's pipeline (registers, spills,
// shared memory, where it reports them), under the first row that ran it. The
// pipeline is the one of the driver's subgroup size (0), as every bench row records.
template <class Op>
void print_statistics(vk::PipelineCache& p, const OpsOptions& o, const char* name) {
  static bool printed = false;  // one Op type is one pipeline
  if (!o.stats || printed) return;
  printed = true;
  std::vector<std::string> st;
  try {
    st = p.statistics(p.get<Op>());
  } catch (const std::exception& e) {  // a profiling aid: report it, do not end the run
    std::printf("    %s: compile statistics failed: %s\n", name, e.what());
    return;
  }
  if (st.empty()) std::printf("    %s: no compile statistics (the device does not capture them)\n", name);
  for (const std::string& line : st) std::printf("    %s\n", line.c_str());
}

// One line of the report (and one JSON object, two with a back-to-back figure).
struct Row {
  Row(std::string op_, std::string shape_, std::string mode_, double bytes_, Samples t_)
      : op(std::move(op_)), shape(std::move(shape_)), mode(std::move(mode_)), bytes(bytes_), t(std::move(t_)) {}

  std::string op, shape, mode;
  double bytes = 0;  // bytes one op must read (weights, K+V, …); 0: not bandwidth-bound
  Samples t;
  Samples bb;                 // back-to-back, per GEMV (empty: not measured)
  std::uint32_t bb_n = 0;     // GEMVs per back-to-back sample
  std::uint32_t copies = 1;   // input copies the reps cycle through
  std::string json_extra;     // more JSON fields, each starting with ','
  std::string note;           // printed after the columns (e.g. a GEMM's MAC rate)
};

class Report {
 public:
  Report(std::ostream* json) : json_(json) {
    std::printf("\n%-30s %-24s %-4s %8s %10s %10s %8s %6s %9s %6s\n", "op", "shape", "mode", "MB read", "best us",
                "median us", "GB/s", "% read", "bb us", "bb %");
  }
  void set_read_bandwidth(double gbs) { read_gbs_ = gbs; }

  void add(const Row& r) {
    const double best = r.t.best(), med = r.t.median();
    char gb[32] = "-", pc[32] = "-", bbus[32] = "-", bbpc[32] = "-";
    if (r.bytes > 0) {
      std::snprintf(gb, sizeof gb, "%.1f", gbs(r.bytes, best));
      std::snprintf(pc, sizeof pc, "%.1f", pct(r.bytes, best));
    }
    if (!r.bb.empty()) {
      std::snprintf(bbus, sizeof bbus, "%.2f", r.bb.best() / 1e3);
      if (r.bytes > 0) std::snprintf(bbpc, sizeof bbpc, "%.1f", pct(r.bytes, r.bb.best()));
    }
    std::printf("%-30s %-24s %-4s %8.2f %10.2f %10.2f %8s %6s %9s %6s %s\n", r.op.c_str(), r.shape.c_str(),
                r.mode.c_str(), r.bytes / 1e6, best / 1e3, med / 1e3, gb, pc, bbus, bbpc, r.note.c_str());
    std::fflush(stdout);
    if (!json_) return;
    json_line(r, r.mode, r.t, 1);
    if (!r.bb.empty()) json_line(r, "back_to_back", r.bb, r.bb_n);
  }

 private:
  static double gbs(double bytes, double ns) { return bytes / ns; }  // bytes per ns = GB/s
  double pct(double bytes, double ns) const { return read_gbs_ > 0 ? 100.0 * gbs(bytes, ns) / read_gbs_ : 0; }

  void json_line(const Row& r, const std::string& mode, const Samples& t, std::uint32_t per_sample) {
    const double best = t.best(), med = t.median();
    const double g = r.bytes > 0 ? gbs(r.bytes, best) : 0, p = r.bytes > 0 ? pct(r.bytes, best) : 0;
    *json_ << "{\"op\":\"" << r.op << "\",\"shape\":\"" << r.shape << "\",\"mode\":\"" << mode
           << "\",\"bytes\":" << r.bytes << ",\"best_ns\":" << best << ",\"median_ns\":" << med << ",\"gb_s\":" << g
           << ",\"pct_of_read_bw\":" << p << ",\"samples\":" << t.ns.size() << ",\"dispatches_per_sample\":"
           << per_sample << ",\"copies\":" << r.copies << r.json_extra << "}\n";
  }

  std::ostream* json_;
  double read_gbs_ = 0;
};

inline void print_skip(const std::string& op, const std::string& shape, const char* why) {
  std::printf("%-30s %-24s skipped: %s\n", op.c_str(), shape.c_str(), why);
}

// Read bandwidth: a buffer of min(read_mib, maxStorageBufferRange) bytes, grid
// of 4,096 workgroups of 256 threads (enough loads in flight for any GPU);
// the best of reps is the roofline the other rows are compared with. One
// buffer: at the default 2 GiB no rep can find it in L2.
inline double measure_read_bandwidth(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report) {
  using Op = ops::ReadProbe<256, 4>;
  std::uint64_t bytes = std::uint64_t(o.read_mib) << 20;
  bytes = std::min<std::uint64_t>(bytes, d.features().max_storage_buffer_range & ~std::uint64_t(15));
  bytes = std::min<std::uint64_t>(bytes, std::uint64_t(1) << 35);  // n < 2^31 uvec4 words
  const Op::Problem prob{static_cast<std::uint32_t>(bytes / 16), 4096};
  vk::Buffer data(d, bytes), out(d, std::uint64_t(Op::threads(prob)) * 4);
  // Contents do not matter for a read; fill once so the pages are real.
  vk::submit_and_wait(d, [&](VkCommandBuffer cmd) { d.fn().vkCmdFillBuffer(cmd, data.handle(), 0, bytes, 0x5a5a5a5au); });
  Row r{"read_probe (roofline)", std::to_string(bytes >> 20) + " MiB", bytes >= (std::uint64_t(o.rotate_mib) << 20) ? "cold" : "warm",
        double(bytes), time_op<Op>(d, p, {vk::whole(data), vk::whole(out)}, prob, o.reps)};
  report.set_read_bandwidth(r.bytes / r.t.best());
  report.add(r);
  return r.bytes / r.t.best();
}

template <std::uint32_t WG, bool Residual>
void bench_rmsnorm_one(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report, std::uint32_t n) {
  using Op = ops::RmsNorm<WG, Residual>;
  const typename Op::Problem prob{1, n, 1e-6f};
  vk::Buffer x(d, n * 4), r(d, n * 4), w(d, n * 4), y(d, n * 4);
  std::vector<float> ones(n, 1.0f);
  for (auto* b : {&x, &r, &w}) vk::upload(d, *b, std::span<const float>(ones));
  const std::string name = std::string(Op::kVariant) + " wg" + std::to_string(WG);
  if constexpr (Residual)
    report.add({name, "1x" + std::to_string(n), "warm", 0,
                time_op<Op>(d, p, {vk::whole(x), vk::whole(r), vk::whole(w), vk::whole(y)}, prob, o.reps)});
  else
    report.add({name, "1x" + std::to_string(n), "warm", 0, time_op<Op>(d, p, {vk::whole(x), vk::whole(w), vk::whole(y)}, prob, o.reps)});
}

// One row (a decode step's hidden norm) at a few workgroup sizes: the lane
// sums are a dependent chain, so this op is latency, not bandwidth.
inline void bench_rmsnorm(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report) {
  for (std::uint32_t n : {1024u, 4096u}) {
    bench_rmsnorm_one<64, true>(d, p, o, report, n);
    bench_rmsnorm_one<256, true>(d, p, o, report, n);
    bench_rmsnorm_one<1024, true>(d, p, o, report, n);
    bench_rmsnorm_one<256, false>(d, p, o, report, n);
  }
}

// The Qwen3-8B decode GEMVs (hidden 4096, kv 1024, ffn 12288) and its LM head.
struct GemvShape {
  const char* what;
  std::uint32_t rows, cols;
  bool quick;  // measured under --quick
};
inline constexpr GemvShape kGemvShapes8B[] = {{"q/o 8B", 4096, 4096, true},
                                              {"k/v 8B", 1024, 4096, true},
                                              {"gate/up 8B", 12288, 4096, false},
                                              {"down 8B", 4096, 12288, false},
                                              {"lm_head 8B", 151936, 4096, false}};

// One GEMV variant/config on one shape. Weights and activations are filled with
// a constant pattern (the time of a GEMV does not depend on the values);
// bytes counted = weight bytes only. Cold (default) or warm per the options,
// plus the back-to-back figure (o.bb GEMVs per sample, at most one per copy of
// the ring; with a single copy — --warm, or weights of --rotate-mib or more, far
// over any L2 — all o.bb read it).
template <quant::Type T, ops::GemvConfig C>
void bench_gemv_one(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report, RingCache& rings,
                    const GemvShape& s) {
  using Op = ops::Gemv<T, C>;
  const typename Op::Problem prob{s.rows, s.cols};
  if (!Op::valid(prob) || (o.quick && !s.quick)) return;
  char name[64];
  std::snprintf(name, sizeof name, "%s wg%u r%u p%u i%u%s", std::string(Op::kVariant).c_str(), C.workgroup, C.rows,
                C.block_threads, C.items, C.owner ? " own" : "");
  if (!o.wanted(name)) return;
  if (C.int_dot && !d.features().integer_dot_product) return;
  char shape[64];
  std::snprintf(shape, sizeof shape, "%s %ux%u", s.what, s.rows, s.cols);
  const auto el = Op::elements(prob);
  const std::uint64_t wbytes = el[0] * 4, ybytes = align_up(el[2] * 4, kRingAlign);
  if (wbytes > d.features().max_storage_buffer_range) {
    char why[96];
    std::snprintf(why, sizeof why, "%.0f MB of weights over maxStorageBufferRange", double(wbytes) / 1e6);
    return print_skip(name, shape, why);
  }
  ColdRing& w = rings.get(d, wbytes);
  const std::uint32_t nbb = w.copies() == 1 ? o.bb : std::min(o.bb, w.copies());
  vk::Buffer x(d, el[1] * 4), y(d, ybytes * std::max<std::uint32_t>(nbb, 1));
  vk::submit_and_wait(d, [&](VkCommandBuffer cmd) { d.fn().vkCmdFillBuffer(cmd, x.handle(), 0, VK_WHOLE_SIZE, 0x3c010101u); });
  const vk::BufferRange y0{y.handle(), 0, el[2] * 4};

  std::vector<vk::Bindings<Op>> per_copy;
  for (std::uint32_t i = 0; i < w.copies(); ++i) per_copy.push_back({w.copy(i), vk::whole(x), y0});
  Row row{name, shape, o.mode(), double(ops::weight_bytes(T, s.rows, s.cols)),
          time_op<Op>(d, p, per_copy, prob, o.reps)};
  w.advance(o.reps + 1);
  row.copies = w.copies();
  if (nbb > 0) {
    row.bb_n = nbb;
    row.bb = time_units(d, p, o.reps, nbb, [&](vk::Recorder& rec, VkCommandBuffer cmd, std::uint32_t unit) {
      vk::Unbarriered independent(rec);  // different weights, different outputs, the same x
      for (std::uint32_t i = 0; i < nbb; ++i)
        vk::record<Op>(rec, cmd, {w.copy(std::uint64_t(unit) * nbb + i), vk::whole(x), {y.handle(), i * ybytes, el[2] * 4}},
                       prob);
    });
    w.advance(std::uint64_t(o.reps + 1) * nbb);
  }
  report.add(row);
}

template <quant::Type T, ops::GemvConfig... Cs>
void bench_gemv_type(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report, RingCache& rings) {
  for (const GemvShape& s : kGemvShapes8B) (bench_gemv_one<T, Cs>(d, p, o, report, rings, s), ...);
}

inline void bench_gemv(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report, RingCache& rings) {
  using quant::Type;
  using C = ops::GemvConfig;
  // Configs: the default, the tuned ones suggested by the GEMV's author, and their
  // integer-dot-product twins (skipped where the device lacks the feature).
  // Split mapping {wg, rows, P, items, dot}; owner mapping {wg, rows = wg/32·items, 1, items, dot, true}.
  bench_gemv_type<Type::Q4_K, C{256, 4, 8, 2, false}, C{256, 4, 8, 2, true}, C{256, 8, 8, 4, true},
                  C{256, 8, 1, 1, true, true}, C{256, 16, 1, 2, true, true}, C{128, 8, 1, 2, true, true},
                  C{256, 32, 1, 4, true, true}, C{64, 4, 1, 2, true, true}>(d, p, o, report, rings);
  bench_gemv_type<Type::Q5_K, C{256, 4, 8, 2, true}, C{256, 8, 1, 1, true, true}, C{256, 16, 1, 2, true, true},
                  C{128, 8, 1, 2, true, true}, C{64, 4, 1, 2, true, true}>(d, p, o, report, rings);
  bench_gemv_type<Type::Q6_K, C{256, 4, 8, 2, true}, C{256, 8, 1, 1, true, true}, C{256, 16, 1, 2, true, true},
                  C{128, 8, 1, 2, true, true}, C{64, 4, 1, 2, true, true}>(d, p, o, report, rings);
  bench_gemv_type<Type::Q8_0, C{256, 8, 2, 2, true}, C{256, 8, 1, 1, true, true}, C{256, 16, 1, 2, true, true},
                  C{128, 8, 1, 2, true, true}, C{64, 4, 1, 2, true, true}>(d, p, o, report, rings);
  bench_gemv_type<Type::Q4_0, C{256, 8, 1, 1, true}, C{256, 8, 1, 1, true, true}, C{256, 16, 1, 2, true, true},
                  C{128, 8, 1, 2, true, true}, C{64, 4, 1, 2, true, true}>(d, p, o, report, rings);
  // Float configs: {workgroup, rows, -, rows per thread}.
  bench_gemv_type<Type::F16, C{64, 16, 1, 1, false}, C{256, 32, 1, 1, false}, C{256, 64, 1, 1, false},
                  C{128, 32, 1, 1, false}, C{128, 64, 1, 2, false}, C{64, 16, 1, 2, false}, C{64, 32, 1, 4, false}>(d, p, o, report, rings);
  bench_gemv_type<Type::BF16, C{256, 64, 1, 1, false}, C{256, 32, 1, 1, false}, C{128, 32, 1, 1, false},
                  C{128, 64, 1, 2, false}, C{64, 16, 1, 2, false}, C{64, 32, 1, 4, false}>(d, p, o, report, rings);
  bench_gemv_type<Type::F32, C{256, 32, 1, 1, false}, C{128, 32, 1, 1, false}, C{64, 16, 1, 1, false},
                  C{128, 32, 1, 2, false}, C{64, 16, 1, 2, false}, C{256, 64, 1, 2, false}>(d, p, o, report, rings);
}

// Decode attention shapes: Qwen3-8B (32 q heads) and Qwen3-0.6B (16 q heads),
// both 8 kv heads of head_dim 128 with an f16 KV cache.
struct AttnShape {
  const char* model;
  std::uint32_t heads, kv_heads, head_dim;
};
inline constexpr AttnShape kAttnShapes[] = {{"8B", 32, 8, 128}, {"0.6B", 16, 8, 128}};
inline constexpr std::uint32_t kAttnContexts[] = {4096, 16384, 32768};

// One decode step's attention over n_pos cached positions, the runtime's
// instance (vkk::kAttnChunksWorkgroup etc.), timed as one unit.
inline void bench_attention_one(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report,
                                RingCache& rings, const AttnShape& s, std::uint32_t n_pos) {
  char name[64], shape[64];
  std::snprintf(name, sizeof name, "attention_f16kv hd%u", s.head_dim);
  std::snprintf(shape, sizeof shape, "%s %u/%u heads %uk", s.model, s.heads, s.kv_heads, n_pos / 1024);
  if (!o.wanted(name)) return;
  const ops::AttentionProblem prob{s.heads, s.kv_heads, n_pos, n_pos};  // capacity = n_pos (a multiple of 64)
  const std::uint64_t kv_bytes = std::uint64_t(n_pos) * s.kv_heads * s.head_dim * 2;  // K (or V), f16
  if (kv_bytes > d.features().max_storage_buffer_range) {
    char why[96];
    std::snprintf(why, sizeof why, "K of %.0f MB over maxStorageBufferRange", double(kv_bytes) / 1e6);
    return print_skip(name, shape, why);
  }
  const std::uint64_t v_at = align_up(kv_bytes, kRingAlign);
  ColdRing& kv = rings.get(d, v_at + kv_bytes);  // K then V per copy; f16 1.0
  const std::uint64_t chunks = ops::attention_chunks(prob.capacity);
  vk::Buffer q(d, 4ull * s.heads * s.head_dim), ml(d, 4 * ops::attention_ml_elements(prob)),
      po(d, 4 * ops::attention_o_elements(prob, s.head_dim)), out(d, 4ull * s.heads * s.head_dim);
  vk::submit_and_wait(d, [&](VkCommandBuffer cmd) { d.fn().vkCmdFillBuffer(cmd, q.handle(), 0, VK_WHOLE_SIZE, 0x3c003c00u); });
  Row row{name, shape, o.mode(), 2.0 * double(kv_bytes),
          time_units(d, p, o.reps, 1, [&](vk::Recorder& rec, VkCommandBuffer cmd, std::uint32_t unit) {
            runtime::vkk::record_attention(rec, cmd, s.head_dim, prob, vk::whole(q), kv.part(unit, 0, kv_bytes),
                                           kv.part(unit, v_at, kv_bytes), vk::whole(ml), vk::whole(po), vk::whole(out),
                                           {});
          })};
  kv.advance(o.reps + 1);
  row.copies = kv.copies();
  row.json_extra = ",\"unit\":\"attention_chunks+attention_combine\",\"heads\":" + std::to_string(s.heads) +
                   ",\"kv_heads\":" + std::to_string(s.kv_heads) + ",\"head_dim\":" + std::to_string(s.head_dim) +
                   ",\"n_pos\":" + std::to_string(n_pos) + ",\"chunks\":" + std::to_string(chunks);
  report.add(row);
}

inline void bench_attention(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report,
                            RingCache& rings) {
  for (std::uint32_t n : kAttnContexts) {
    if (o.quick && n > 4096) continue;
    for (const AttnShape& s : kAttnShapes) bench_attention_one(d, p, o, report, rings, s, n);
  }
}

// Prefill attention: 256 query rows of a Qwen3-8B chunk starting at n_pos (row r
// attends n_pos + r positions), each pass timed alone: pass 1 by AttentionRows
// (the runtime's), pass 1 by AttentionChunks (one workgroup per row, for
// comparison), and AttentionCombine; warm (the f16 K/V of 2,048 positions fit
// in L2). The pass-1 note counts the multiply-adds of q·k and p·v over whole
// 64-position chunks, as computed.
inline void bench_prefill_attention(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report) {
  constexpr AttnShape s = kAttnShapes[0];
  constexpr std::uint32_t kRows = 256, kCap = 2048;
  enum class Unit { Rows, PerRow, Combine };
  for (const Unit unit : {Unit::Rows, Unit::PerRow, Unit::Combine})
    for (const std::uint32_t n_pos : {1u, kCap - kRows + 1}) {
      const char* name = unit == Unit::Rows     ? "attention_rows_f16kv hd128"
                         : unit == Unit::PerRow ? "attention_chunks_f16kv per-row hd128"
                                                : "attention_combine_f32 rows hd128";
      if (!o.wanted(name) || (o.quick && n_pos > 1)) continue;
      char shape[64];
      std::snprintf(shape, sizeof shape, "%s %u/%u heads q%u at %u", s.model, s.heads, s.kv_heads, kRows, n_pos);
      const ops::AttentionProblem prob{s.heads, s.kv_heads, n_pos, kCap, kRows};
      vk::Buffer q(d, 4ull * kRows * s.heads * s.head_dim), k(d, 2ull * kCap * s.kv_heads * s.head_dim),
          v(d, 2ull * kCap * s.kv_heads * s.head_dim), ml(d, 4 * ops::attention_ml_elements(prob)),
          po(d, 4 * ops::attention_o_elements(prob, s.head_dim)), out(d, 4ull * kRows * s.heads * s.head_dim);
      vk::submit_and_wait(d, [&](VkCommandBuffer cmd) {
        d.fn().vkCmdFillBuffer(cmd, q.handle(), 0, VK_WHOLE_SIZE, 0x3d000000u);  // q = 1/32: moderate scores
        d.fn().vkCmdFillBuffer(cmd, k.handle(), 0, VK_WHOLE_SIZE, 0x3c003c00u);
        d.fn().vkCmdFillBuffer(cmd, v.handle(), 0, VK_WHOLE_SIZE, 0x3c003c00u);
      });
      // Pass 1 once, so the combine reads real partials.
      vk::Recorder first(d, p);
      vk::submit_and_wait(d, [&](VkCommandBuffer cmd) {
        vk::record<ops::AttentionRows<>>(first, cmd, {vk::whole(q), vk::whole(k), vk::whole(v), vk::whole(ml), vk::whole(po)}, prob);
      });
      Row row{name, shape, "warm", 0, time_units(d, p, o.reps, 1, [&](vk::Recorder& rec, VkCommandBuffer cmd, std::uint32_t) {
                if (unit == Unit::Rows)
                  vk::record<ops::AttentionRows<>>(rec, cmd, {vk::whole(q), vk::whole(k), vk::whole(v), vk::whole(ml), vk::whole(po)}, prob);
                else if (unit == Unit::PerRow)
                  vk::record<ops::AttentionChunks<128, runtime::vkk::kAttnChunksWorkgroup, runtime::vkk::kAttnMaxGroup>>(
                      rec, cmd, {vk::whole(q), vk::whole(k), vk::whole(v), vk::whole(ml), vk::whole(po)}, prob);
                else
                  vk::record<ops::AttentionCombine<128, runtime::vkk::kAttnCombineWorkgroup>>(
                      rec, cmd, {vk::whole(ml), vk::whole(po), vk::whole(out)}, prob);
              })};
      double chunks = 0;
      for (std::uint32_t r = 0; r < kRows; ++r) chunks += ops::attention_chunks(n_pos + r);
      const double macs = chunks * s.heads * 2.0 * ops::kAttnChunk * s.head_dim, best = row.t.best();
      if (unit != Unit::Combine) {
        char note[64];
        std::snprintf(note, sizeof note, "%.2f TMAC/s", macs / best / 1e3);
        row.note = note;
        row.json_extra = ",\"tmac_s\":" + std::to_string(macs / best / 1e3);
      }
      row.json_extra += ",\"queries\":" + std::to_string(kRows) + ",\"n_pos\":" + std::to_string(n_pos) +
                        ",\"macs\":" + std::to_string(macs);
      report.add(row);
      if (unit == Unit::Rows) print_statistics<ops::AttentionRows<>>(p, o, name);
    }
}

inline void bench_quantize_act(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report) {
  for (std::uint32_t n : {4096u, 12288u}) {
    vk::Buffer x(d, n * 4), a32(d, ops::ActLayout{32, n}.words() * 4), a256(d, ops::ActLayout{256, n}.words() * 4);
    vk::submit_and_wait(d, [&](VkCommandBuffer cmd) { d.fn().vkCmdFillBuffer(cmd, x.handle(), 0, VK_WHOLE_SIZE, 0x3f800000u); });
    report.add({"quantize_act32", "1x" + std::to_string(n), "warm", 0,
                time_op<ops::QuantizeAct<32>>(d, p, {vk::whole(x), vk::whole(a32)}, {n}, o.reps)});
    report.add({"quantize_act256", "1x" + std::to_string(n), "warm", 0,
                time_op<ops::QuantizeAct<256>>(d, p, {vk::whole(x), vk::whole(a256)}, {n}, o.reps)});
  }
}

}  // namespace qvk::bench
