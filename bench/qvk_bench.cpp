// qvk_bench — GPU benchmarks (not tests: nothing here asserts a speed).
//
//   qvk_bench ops [--device SEL] [--reps N] [--read-mib N] [--json FILE] [--filter SUBSTR]
//                 [--warm] [--rotate-mib N] [--bb N] [--quick] [--stats]
//   qvk_bench generate MODEL [--device SEL] [--prompt N] [--gen N] [--reps N] [--ctx N]
//                      [--read-mib N] [--bw-reps N] [--profile] [--prefill-chunk N] [--json FILE]
//
// `ops` measures the device's read bandwidth with a plain streaming shader
// (ops::ReadProbe, uvec4 loads) and then each kernel at Qwen3 shapes, reporting
// GPU time per dispatch (timestamps; best and median of --reps) and, for the
// bandwidth-bound ones, GB/s and the fraction of the measured read bandwidth:
// the GEMVs at Qwen3-8B shapes, cold by default (each rep reads its own copy of
// the weights from a ring of --rotate-mib MiB, so L2 cannot flatter them;
// --warm: one copy, as before) and back to back (--bb N GEMVs on different
// copies with no barrier between them, time per GEMV), and decode attention
// (chunks + combine as one unit) at 4k/16k/32k context for the 8B and 0.6B
// head shapes, bytes = K + V, then the batched-prefill GEMMs at the 8B
// projection shapes and batches 64 and 512 (warm; MAC/s). gpu/ops_bench.hpp
// describes the modes. With
// QVK_VALIDATION=1 (and the Khronos layer installed) the run is validated,
// synchronization included, and its errors are counted at the end (exit 1).
// `generate` runs the Vulkan runtime on a whole model: prefill, then greedy
// decode, the protocol `llama_peer bench --gpu` uses, against the read-bandwidth
// roofline (gpu/generate_bench.hpp says exactly what is measured).
// --json FILE also writes one JSON object per measurement (generate: one line).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gpu/generate_bench.hpp"
#include "gpu/run_ops.hpp"
#include "qvk/vk/device.hpp"

namespace {

void usage(std::FILE* f) {
  std::fputs(
      "usage: qvk_bench ops [--device SEL] [--reps N] [--read-mib N] [--json FILE] [--filter SUBSTR]\n"
      "                     [--warm] [--rotate-mib N] [--bb N] [--quick] [--stats]\n"
      "       qvk_bench generate MODEL [--device SEL] [--prompt N] [--gen N] [--reps N] [--ctx N]\n"
      "                          [--read-mib N] [--bw-reps N] [--profile] [--prefill-chunk N] [--off NAME]...\n"
      "                          [--json FILE]\n"
      "  ops          read bandwidth, then every kernel at Qwen3 shapes (GPU time per dispatch):\n"
      "               GEMVs at Qwen3-8B shapes, decode attention at 4k/16k/32k context,\n"
      "               prefill GEMMs at the 8B shapes, batches 64 and 512 (warm, MAC/s)\n"
      "  generate     the Vulkan runtime on MODEL: prefill of --prompt tokens (batched),\n"
      "               then --gen greedy tokens one at a time; median of --reps runs after a\n"
      "               warm-up; GPU memory; decode against the read-bandwidth roofline\n"
      "  --device SEL Vulkan device index or name substring (default: QVK_DEVICE, then discrete first)\n"
      "  --reps N     ops: timed dispatches per kernel (default 20; best and median reported)\n"
      "               generate: timed runs (default 3; the median is reported)\n"
      "  --read-mib N buffer size of the read-bandwidth probe in MiB (default 2048, capped by the\n"
      "               device's maxStorageBufferRange)\n"
      "  --json FILE  also write one JSON object per measurement to FILE\n"
      "  --filter S   ops: run only the GEMV, attention and GEMM rows whose name contains S (GEMV:\n"
      "               variant and config, e.g. q4_k_dot4; attention: attention_f16kv); the roofline\n"
      "               always runs, rmsnorm/quantize_act are skipped when S is set\n"
      "  --warm       ops: every rep reads the same weights / KV (may come from L2); default:\n"
      "               cold, each rep reads its own copy from a ring of --rotate-mib MiB\n"
      "  --rotate-mib N  ops: bytes of that ring (default 256; Vulkan cannot report the L2 size)\n"
      "  --bb N       ops: back-to-back figure, N GEMVs with no barrier between them per sample,\n"
      "               time per GEMV (default 8; 0: off)\n"
      "  --quick      ops: smaller shapes only: q/o and k/v GEMVs, attention at 4k, and --bb 2\n"
      "               unless --bb is given (for lavapipe)\n"
      "  --stats      ops: the driver's compile statistics (registers, spills, … where it\n"
      "               reports them: VK_KHR_pipeline_executable_properties) of each GEMM and\n"
      "               prefill-attention (attention_rows) pipeline, under its first row\n"
      "  --prompt N   generate: prompt tokens (default 512), --gen N generated tokens (default 128)\n"
      "  --ctx N      generate: context of the runtime (default prompt + gen, + 1 with --profile)\n"
      "  --bw-reps N  generate: read-probe dispatches (default 20; the best is the bandwidth)\n"
      "  --profile    generate: also time one more decode step and batched prefill submits of the\n"
      "               prompt's first chunk-size tokens and, when the prompt is longer, of its last\n"
      "               ones, per dispatch (by kernel variant)\n"
      "  --prefill-chunk N  generate: tokens per batched prefill submit (default 256; 1: token by\n"
      "               token, the decode path)\n"
      "  --off NAME   generate: switch a runtime choice off for an A/B run (same bits): replay,\n"
      "               fuse_residual, fuse_swiglu_quantize, stack_gemms, merge_rope,\n"
      "               overlap_independent (VkForwardOptions); repeatable\n",
      f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  if (cmd != "ops" && cmd != "generate") {
    std::fprintf(stderr, "qvk_bench: unknown command '%s'\n", cmd.c_str());
    usage(stderr);
    return 2;
  }
  const bool gen = cmd == "generate";
  qvk::bench::OpsOptions o;
  qvk::bench::GenerateOptions g;
  std::string device, json;
  bool bb_set = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "qvk_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    auto number = [&](long lo, long hi) {
      const std::string v = value();
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < lo || n > hi) {
        std::fprintf(stderr, "qvk_bench: %s must be an integer in [%ld, %ld], got '%s'\n", a.c_str(), lo, hi, v.c_str());
        std::exit(2);
      }
      return static_cast<std::uint32_t>(n);
    };
    auto only = [&](bool ok) {
      if (!ok) {
        std::fprintf(stderr, "qvk_bench: %s is not an option of '%s'\n", a.c_str(), cmd.c_str());
        std::exit(2);
      }
    };
    if (a == "--device") device = value();
    else if (a == "--reps") (gen ? g.reps : o.reps) = number(1, 10000);
    else if (a == "--read-mib") g.read_mib = o.read_mib = number(1, 1 << 20);
    else if (a == "--json") json = value();
    else if (a == "--filter") { only(!gen); o.filter = value(); }
    else if (a == "--warm") { only(!gen); o.warm = true; }
    else if (a == "--rotate-mib") { only(!gen); o.rotate_mib = number(1, 1 << 16); }
    else if (a == "--bb") { only(!gen); o.bb = number(0, 256); bb_set = true; }
    else if (a == "--quick") { only(!gen); o.quick = true; }
    else if (a == "--stats") { only(!gen); o.stats = true; }
    else if (a == "--prompt") { only(gen); g.prompt = number(1, 1 << 20); }
    else if (a == "--gen") { only(gen); g.gen = number(1, 1 << 20); }
    else if (a == "--ctx") { only(gen); g.ctx = number(1, 1 << 24); }
    else if (a == "--bw-reps") { only(gen); g.bw_reps = number(1, 10000); }
    else if (a == "--profile") { only(gen); g.profile = true; }
    else if (a == "--prefill-chunk") { only(gen); g.prefill_chunk = number(1, 1 << 16); }
    else if (a == "--off") {
      only(gen);
      const std::string name = value();
      std::string names;
      bool known = false;
      for (const auto& s : qvk::bench::runtime_switches()) {
        known |= s.first == name;
        names += (names.empty() ? "" : ", ") + s.first;
      }
      if (!known) {
        std::fprintf(stderr, "qvk_bench: --off takes one of %s, got '%s'\n", names.c_str(), name.c_str());
        std::exit(2);
      }
      g.off.push_back(name);
    }
    else if (a == "--help" || a == "-h") { usage(stdout); return 0; }
    else if (gen && a.rfind("--", 0) != 0 && g.model.empty()) g.model = a;
    else {
      std::fprintf(stderr, "qvk_bench: unknown option '%s'\n", a.c_str());
      usage(stderr);
      return 2;
    }
  }
  if (o.quick && !bb_set) o.bb = 2;  // lavapipe: the back-to-back figure is most of the time
  if (gen && g.model.empty()) {
    std::fprintf(stderr, "qvk_bench: generate needs a MODEL\n");
    usage(stderr);
    return 2;
  }
  if (gen && !std::filesystem::is_regular_file(g.model)) {
    std::fprintf(stderr, "qvk_bench: no such model file '%s'\n", g.model.c_str());
    return 2;
  }
  try {
    qvk::vk::DeviceOptions dopt;
    dopt.select = device;
    dopt.pipeline_statistics = o.stats;
    qvk::vk::Device d(dopt);
    std::ofstream js;
    if (!json.empty()) {
      js.open(json);
      if (!js) {
        std::fprintf(stderr, "qvk_bench: cannot write '%s'\n", json.c_str());
        return 1;
      }
    }
    if (gen) {
      qvk::bench::run_generate(d, g, js.is_open() ? &js : nullptr);
    } else {
      std::printf("%s\n", d.features().report().c_str());
      qvk::bench::run_ops(d, o, js.is_open() ? &js : nullptr);
      if (d.validation_enabled()) {  // QVK_VALIDATION=1: the recordings (barriers included) checked too
        const auto msgs = d.validation_messages();
        std::printf("\nvalidation (with synchronization checks): %d errors or hazards\n", d.validation_failures());
        for (std::size_t i = 0; i < msgs.size() && i < 10; ++i) std::printf("  %s\n", msgs[i].c_str());
        if (d.validation_failures() > 0) return 1;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qvk_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
