// bench/gpu/run_ops.hpp — `qvk_bench ops`: the roofline, then every kernel's rows
// (ops_bench.hpp: norms, quantize, GEMV, attention; gemm_bench.hpp: GEMM).
#pragma once

#include <ostream>

#include "gpu/gemm_bench.hpp"
#include "gpu/ops_bench.hpp"

namespace qvk::bench {

inline void run_ops(vk::Device& d, const OpsOptions& o, std::ostream* json) {
  vk::PipelineCache pipelines(d);
  Report report(json);
  measure_read_bandwidth(d, pipelines, o, report);
  if (o.filter.empty()) {
    bench_rmsnorm(d, pipelines, o, report);
    bench_quantize_act(d, pipelines, o, report);
  }
  RingCache rings(o.ring_budget());
  bench_gemv(d, pipelines, o, report, rings);
  bench_attention(d, pipelines, o, report, rings);
  bench_prefill_attention(d, pipelines, o, report);
  bench_gemm(d, pipelines, o, report);
}

}  // namespace qvk::bench
