// bench/gpu/ops_bench.hpp — `qvk_bench ops`: the read-bandwidth roofline, then
// each kernel at Qwen3 shapes, timed per dispatch.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "gpu/op_timer.hpp"
#include "qvk/ops/gemv.hpp"
#include "qvk/ops/quantize_act.hpp"
#include "qvk/ops/read_probe.hpp"
#include "qvk/ops/rmsnorm.hpp"
#include "qvk/vk/buffer.hpp"

namespace qvk::bench {

struct OpsOptions {
  std::uint32_t reps = 20;
  std::uint32_t read_mib = 2048;
  std::string filter;  // non-empty: only GEMV rows whose name contains it
};

// One line of the report (and one JSON object).
struct Row {
  std::string op, shape;
  double bytes = 0;  // bytes the op must read (weights, KV, …); 0: not bandwidth-bound
  Samples t;
};

class Report {
 public:
  Report(std::ostream* json) : json_(json) {
    std::printf("\n%-28s %-26s %10s %10s %10s %9s %7s\n", "op", "shape", "MB read", "best us", "median us", "GB/s",
                "% read");
  }
  void set_read_bandwidth(double gbs) { read_gbs_ = gbs; }

  void add(const Row& r) {
    const double best = r.t.best(), med = r.t.median();
    const double gbs = r.bytes > 0 ? r.bytes / best : 0;  // bytes per ns = GB/s
    const double pct = read_gbs_ > 0 && r.bytes > 0 ? 100.0 * gbs / read_gbs_ : 0;
    std::printf("%-28s %-26s %10.2f %10.2f %10.2f %9.1f %7.1f\n", r.op.c_str(), r.shape.c_str(), r.bytes / 1e6,
                best / 1e3, med / 1e3, gbs, pct);
    if (json_)
      *json_ << "{\"op\":\"" << r.op << "\",\"shape\":\"" << r.shape << "\",\"bytes\":" << r.bytes
             << ",\"best_ns\":" << best << ",\"median_ns\":" << med << ",\"gb_s\":" << gbs
             << ",\"pct_of_read_bw\":" << pct << ",\"samples\":" << r.t.ns.size() << "}\n";
  }

 private:
  std::ostream* json_;
  double read_gbs_ = 0;
};

// Read bandwidth: a buffer of min(read_mib, maxStorageBufferRange) bytes, grid
// of 4,096 workgroups of 256 threads (enough loads in flight for any GPU);
// the best of reps is the roofline the other rows are compared with.
inline double measure_read_bandwidth(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report) {
  using Op = ops::ReadProbe<256, 4>;
  std::uint64_t bytes = std::uint64_t(o.read_mib) << 20;
  bytes = std::min<std::uint64_t>(bytes, d.features().max_storage_buffer_range & ~std::uint64_t(15));
  bytes = std::min<std::uint64_t>(bytes, std::uint64_t(1) << 35);  // n < 2^31 uvec4 words
  const Op::Problem prob{static_cast<std::uint32_t>(bytes / 16), 4096};
  vk::Buffer data(d, bytes), out(d, std::uint64_t(Op::threads(prob)) * 4);
  // Contents do not matter for a read; fill once so the pages are real.
  vk::submit_and_wait(d, [&](VkCommandBuffer cmd) { d.fn().vkCmdFillBuffer(cmd, data.handle(), 0, bytes, 0x5a5a5a5au); });
  Row r{"read_probe (roofline)", std::to_string(bytes >> 20) + " MiB", double(bytes),
        time_op<Op>(d, p, {vk::whole(data), vk::whole(out)}, prob, o.reps)};
  report.set_read_bandwidth(r.bytes / r.t.best());
  report.add(r);
  return r.bytes / r.t.best();
}

inline void bench_rmsnorm(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report) {
  using Op = ops::RmsNorm<256, true>;
  for (std::uint32_t n : {1024u, 4096u}) {
    const Op::Problem prob{1, n, 1e-6f};
    vk::Buffer x(d, n * 4), r(d, n * 4), w(d, n * 4), y(d, n * 4);
    std::vector<float> ones(n, 1.0f);
    for (auto* b : {&x, &r, &w}) vk::upload(d, *b, std::span<const float>(ones));
    report.add({"rmsnorm_add_f32", "1x" + std::to_string(n), 0,
                time_op<Op>(d, p, {vk::whole(x), vk::whole(r), vk::whole(w), vk::whole(y)}, prob, o.reps)});
  }
}

// The Qwen3-8B decode GEMVs (hidden 4096, kv 1024, ffn 12288) and its LM head.
struct GemvShape {
  const char* what;
  std::uint32_t rows, cols;
};
inline constexpr GemvShape kGemvShapes8B[] = {
    {"q/o 8B", 4096, 4096}, {"k/v 8B", 1024, 4096}, {"gate/up 8B", 12288, 4096},
    {"down 8B", 4096, 12288}, {"lm_head 8B", 151936, 4096}};

// One GEMV variant/config on one shape. Weights and activations are filled with
// a constant pattern (the time of a GEMV does not depend on the values);
// bytes counted = weight bytes only.
template <quant::Type T, ops::GemvConfig C>
void bench_gemv_one(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report, const GemvShape& s) {
  using Op = ops::Gemv<T, C>;
  const typename Op::Problem prob{s.rows, s.cols};
  if (!Op::valid(prob)) return;
  char name[64];
  std::snprintf(name, sizeof name, "%s wg%u r%u p%u i%u", std::string(Op::kVariant).c_str(), C.workgroup, C.rows,
                C.block_threads, C.items);
  if (!o.filter.empty() && std::string(name).find(o.filter) == std::string::npos) return;
  if (C.int_dot && !d.features().integer_dot_product) return;
  const auto el = Op::elements(prob);
  const std::uint64_t wbytes = el[0] * 4;
  if (wbytes > d.features().max_storage_buffer_range) {
    std::printf("%-28s %-26s skipped: %.0f MB over maxStorageBufferRange\n", std::string(Op::kVariant).c_str(), s.what,
                wbytes / 1e6);
    return;
  }
  vk::Buffer w(d, wbytes), x(d, el[1] * 4), y(d, el[2] * 4);
  vk::submit_and_wait(d, [&](VkCommandBuffer cmd) {
    d.fn().vkCmdFillBuffer(cmd, w.handle(), 0, VK_WHOLE_SIZE, 0x3c003c00u);  // f16 1.0 pairs / small codes
    d.fn().vkCmdFillBuffer(cmd, x.handle(), 0, VK_WHOLE_SIZE, 0x3c010101u);
  });
  char shape[64];
  std::snprintf(shape, sizeof shape, "%s %ux%u", s.what, s.rows, s.cols);
  report.add({name, shape, double(ops::weight_bytes(T, s.rows, s.cols)),
              time_op<Op>(d, p, {vk::whole(w), vk::whole(x), vk::whole(y)}, prob, o.reps)});
}

template <quant::Type T, ops::GemvConfig... Cs>
void bench_gemv_type(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report) {
  for (const GemvShape& s : kGemvShapes8B) (bench_gemv_one<T, Cs>(d, p, o, report, s), ...);
}

inline void bench_gemv(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report) {
  using quant::Type;
  using C = ops::GemvConfig;
  // Configs: the default, the tuned ones suggested by the GEMV's author, and their
  // integer-dot-product twins (skipped where the device lacks the feature).
  bench_gemv_type<Type::Q4_K, C{256, 4, 8, 2, false}, C{256, 4, 8, 2, true}, C{256, 2, 8, 3, true},
                  C{256, 8, 8, 5, true}, C{256, 8, 8, 4, true}, C{256, 4, 8, 4, true}, C{128, 4, 8, 4, true},
                  C{256, 4, 4, 2, true}>(d, p, o, report);
  bench_gemv_type<Type::Q5_K, C{256, 4, 8, 2, false}, C{256, 4, 8, 2, true}, C{256, 2, 8, 3, true},
                  C{256, 8, 8, 4, true}, C{256, 4, 8, 4, true}, C{128, 4, 8, 4, true}>(d, p, o, report);
  bench_gemv_type<Type::Q6_K, C{256, 4, 8, 2, false}, C{256, 4, 8, 2, true}, C{256, 2, 8, 3, true},
                  C{256, 8, 8, 4, true}, C{256, 4, 8, 4, true}, C{256, 4, 16, 4, true}>(d, p, o, report);
  bench_gemv_type<Type::Q8_0, C{256, 8, 2, 2, false}, C{256, 8, 2, 2, true}, C{256, 8, 2, 4, true},
                  C{256, 16, 2, 4, true}, C{256, 8, 4, 4, true}, C{128, 8, 2, 4, true}>(d, p, o, report);
  bench_gemv_type<Type::Q4_0, C{256, 8, 1, 1, false}, C{256, 8, 1, 1, true}, C{256, 8, 1, 2, true},
                  C{256, 8, 2, 4, true}, C{256, 16, 1, 2, true}, C{128, 8, 1, 2, true}>(d, p, o, report);
  // Float configs: {workgroup, rows, -, rows per thread}.
  bench_gemv_type<Type::F16, C{64, 16, 1, 1, false}, C{256, 32, 1, 1, false}, C{256, 64, 1, 1, false},
                  C{128, 32, 1, 1, false}, C{128, 64, 1, 2, false}, C{64, 16, 1, 2, false}, C{64, 32, 1, 4, false}>(d, p, o, report);
  bench_gemv_type<Type::BF16, C{256, 64, 1, 1, false}, C{256, 32, 1, 1, false}, C{128, 32, 1, 1, false},
                  C{128, 64, 1, 2, false}, C{64, 16, 1, 2, false}, C{64, 32, 1, 4, false}>(d, p, o, report);
  bench_gemv_type<Type::F32, C{256, 32, 1, 1, false}, C{128, 32, 1, 1, false}, C{64, 16, 1, 1, false},
                  C{128, 32, 1, 2, false}, C{64, 16, 1, 2, false}, C{256, 64, 1, 2, false}>(d, p, o, report);
}

inline void bench_quantize_act(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report) {
  for (std::uint32_t n : {4096u, 12288u}) {
    vk::Buffer x(d, n * 4), a32(d, ops::ActLayout{32, n}.words() * 4), a256(d, ops::ActLayout{256, n}.words() * 4);
    vk::submit_and_wait(d, [&](VkCommandBuffer cmd) { d.fn().vkCmdFillBuffer(cmd, x.handle(), 0, VK_WHOLE_SIZE, 0x3f800000u); });
    report.add({"quantize_act32", "1x" + std::to_string(n), 0,
                time_op<ops::QuantizeAct<32>>(d, p, {vk::whole(x), vk::whole(a32)}, {n}, o.reps)});
    report.add({"quantize_act256", "1x" + std::to_string(n), 0,
                time_op<ops::QuantizeAct<256>>(d, p, {vk::whole(x), vk::whole(a256)}, {n}, o.reps)});
  }
}

inline void run_ops(vk::Device& d, const OpsOptions& o, std::ostream* json) {
  vk::PipelineCache pipelines(d);
  Report report(json);
  measure_read_bandwidth(d, pipelines, o, report);
  if (o.filter.empty()) {
    bench_rmsnorm(d, pipelines, o, report);
    bench_quantize_act(d, pipelines, o, report);
  }
  bench_gemv(d, pipelines, o, report);
}

}  // namespace qvk::bench
