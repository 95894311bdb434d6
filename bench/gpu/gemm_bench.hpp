// bench/gpu/gemm_bench.hpp — `qvk_bench ops` rows for ops::Gemm (batched
// prefill): the Qwen3-8B projection shapes at batch 64 and 512, warm (the
// weights are read once per column tile and mostly come from L2: a GEMM at
// these batches is bound by its integer math, not by memory). Each row also
// gives the multiply-accumulates per second and the prefill rate the op alone
// would allow for a whole 8B layer stack made of this shape.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "gpu/op_timer.hpp"
#include "gpu/ops_bench.hpp"
#include "qvk/ops/gemm.hpp"
#include "qvk/vk/buffer.hpp"

namespace qvk::bench {

inline constexpr std::uint32_t kGemmBatches[] = {64, 512};

template <quant::Type T, ops::GemmConfig C>
void bench_gemm_one(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report, const GemvShape& s,
                    std::uint32_t batch) {
  using Op = ops::Gemm<T, C>;
  const typename Op::Problem prob{s.rows, s.cols, batch};
  if (!Op::valid(prob) || (o.quick && (!s.quick || batch > 64))) return;
  if (C.int_dot && !d.features().integer_dot_product) return;
  if (C.coopmat && !d.cooperative_matrix_int8()) return;
  char name[64], shape[64];
  std::snprintf(name, sizeof name, "%s wg%u i%u c%u", std::string(Op::kVariant).c_str(), C.workgroup, C.items, C.cols);
  if (!o.wanted(name)) return;
  std::snprintf(shape, sizeof shape, "%s %ux%u b%u", s.what, s.rows, s.cols, batch);
  const auto el = Op::elements(prob);
  if (el[0] * 4 > d.features().max_storage_buffer_range) return print_skip(name, shape, "weights over maxStorageBufferRange");
  vk::Buffer w(d, el[0] * 4), x(d, el[1] * 4), y(d, el[2] * 4);
  vk::submit_and_wait(d, [&](VkCommandBuffer cmd) {
    d.fn().vkCmdFillBuffer(cmd, w.handle(), 0, VK_WHOLE_SIZE, 0x3c011101u);
    d.fn().vkCmdFillBuffer(cmd, x.handle(), 0, VK_WHOLE_SIZE, 0x3c010101u);
  });
  Row row{name, shape, "warm", 0, time_op<Op>(d, p, {vk::whole(w), vk::whole(x), vk::whole(y)}, prob, o.reps)};
  const double macs = double(s.rows) * s.cols * batch, best = row.t.best();
  char note[96];
  std::snprintf(note, sizeof note, "%.2f TMAC/s, %.0f cols/s", macs / best / 1e3, batch / best * 1e9);
  row.note = note;
  row.json_extra = ",\"batch\":" + std::to_string(batch) + ",\"macs\":" + std::to_string(macs) +
                   ",\"tmac_s\":" + std::to_string(macs / best / 1e3);
  report.add(row);
  print_statistics<Op>(p, o, name);
}

template <quant::Type T, ops::GemmConfig... Cs>
void bench_gemm_type(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report) {
  for (const GemvShape& s : kGemvShapes8B) {
    if (s.rows > 20000) continue;  // the LM head runs for the last position only
    for (std::uint32_t b : kGemmBatches) (bench_gemm_one<T, Cs>(d, p, o, report, s, b), ...);
  }
}

inline void bench_gemm(vk::Device& d, vk::PipelineCache& p, const OpsOptions& o, Report& report) {
  using quant::Type;
  using C = ops::GemmConfig;
  // {workgroup, rows per thread, batch columns per workgroup, OpSDot}; ops::kCoopmatGemm
  // (the `_cm` rows) where the device has int8 cooperative matrices.
  constexpr C cm = ops::kCoopmatGemm, cm8 = ops::kCoopmatGemm256;
  bench_gemm_type<Type::Q4_K, cm, cm8, C{128, 2, 8, false}, C{128, 2, 8, true}, C{256, 2, 8, true}, C{128, 4, 8, true},
                  C{256, 4, 4, true}, C{64, 4, 8, true}, C{128, 1, 8, true}>(d, p, o, report);
  bench_gemm_type<Type::Q6_K, cm, cm8, C{128, 2, 8, true}, C{128, 4, 8, true}>(d, p, o, report);
  bench_gemm_type<Type::Q8_0, cm, cm8, C{128, 2, 8, true}, C{128, 4, 8, true}>(d, p, o, report);
  bench_gemm_type<Type::Q5_K, cm, cm8, C{128, 2, 8, true}>(d, p, o, report);
  bench_gemm_type<Type::Q4_0, cm, cm8, C{128, 2, 8, true}>(d, p, o, report);
  bench_gemm_type<Type::F16, C{128, 2, 8, false}>(d, p, o, report);
}

}  // namespace qvk::bench
