// qvk_bench — GPU benchmarks (not tests: nothing here asserts a speed).
//
//   qvk_bench ops [--device SEL] [--reps N] [--read-mib N] [--json FILE] [--filter SUBSTR]
//
// `ops` measures the device's read bandwidth with a plain streaming shader
// (ops::ReadProbe, uvec4 loads) and then each kernel at Qwen3 shapes, reporting
// GPU time per dispatch (timestamps; best and median of --reps) and, for the
// bandwidth-bound ones, GB/s and the fraction of the measured read bandwidth.
// --json FILE also writes one JSON object per measurement.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gpu/ops_bench.hpp"
#include "qvk/vk/device.hpp"

namespace {

void usage(std::FILE* f) {
  std::fputs(
      "usage: qvk_bench ops [--device SEL] [--reps N] [--read-mib N] [--json FILE] [--filter SUBSTR]\n"
      "  ops          read bandwidth, then every kernel at Qwen3 shapes (GPU time per dispatch)\n"
      "  --device SEL Vulkan device index or name substring (default: QVK_DEVICE, then discrete first)\n"
      "  --reps N     timed dispatches per kernel (default 20; best and median reported)\n"
      "  --read-mib N buffer size of the read-bandwidth probe in MiB (default 2048, capped by the\n"
      "               device's maxStorageBufferRange)\n"
      "  --json FILE  also write one JSON object per measurement to FILE\n"
      "  --filter S   run only the GEMV rows whose name (variant and config) contains S\n"
      "               (the roofline always runs; rmsnorm/quantize_act are skipped when S is set)\n",
      f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  if (cmd != "ops") {
    std::fprintf(stderr, "qvk_bench: unknown command '%s'\n", cmd.c_str());
    usage(stderr);
    return 2;
  }
  qvk::bench::OpsOptions o;
  std::string device, json;
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
    if (a == "--device") device = value();
    else if (a == "--reps") o.reps = number(1, 10000);
    else if (a == "--read-mib") o.read_mib = number(1, 1 << 20);
    else if (a == "--json") json = value();
    else if (a == "--filter") o.filter = value();
    else if (a == "--help" || a == "-h") { usage(stdout); return 0; }
    else {
      std::fprintf(stderr, "qvk_bench: unknown option '%s'\n", a.c_str());
      usage(stderr);
      return 2;
    }
  }
  try {
    qvk::vk::DeviceOptions dopt;
    dopt.select = device;
    qvk::vk::Device d(dopt);
    std::printf("%s\n", d.features().report().c_str());
    std::ofstream js;
    if (!json.empty()) {
      js.open(json);
      if (!js) {
        std::fprintf(stderr, "qvk_bench: cannot write '%s'\n", json.c_str());
        return 1;
      }
    }
    qvk::bench::run_ops(d, o, js.is_open() ? &js : nullptr);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qvk_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
