// qvk_bench_cpu — speed of the CPU reference interpreter, measured like llama-bench
// (and like `llama_peer bench`): pp = one eval of N prompt tokens from position 0
// (logits of the last only), tg = N single-token evals from position 0; the median of
// --reps runs after one warm-up run of each. Prints one JSON object.
//
//   qvk_bench_cpu MODEL [--threads N] [--prompt N] [--gen N] [--reps N] [--chunk N]
//                       [--only pp|tg]
// --chunk splits the prompt into evals of at most N tokens (default: one eval).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "qvk/model/model_file.hpp"
#include "qvk/ref/cpu_features.hpp"
#include "qvk/ref/forward.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// CPU seconds (user + system) this process has used so far: with --threads 1, a
// steadier figure than wall time on a machine shared with other work.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string list(const std::vector<double>& secs, int n) {
  std::string s;
  for (double t : secs) s += (s.empty() ? "" : ",") + std::to_string(n / t);
  return s;
}

int usage() {
  std::fputs("usage: qvk_bench_cpu MODEL [--threads N] [--prompt N] [--gen N] [--reps N] [--chunk N] [--only pp|tg]\n",
             stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string path = argv[1], only;
  int threads = 2, n_prompt = 512, n_gen = 128, reps = 3, chunk = 0;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    const char* v = argv[++i];
    if (a == "--threads") threads = std::atoi(v);
    else if (a == "--prompt") n_prompt = std::atoi(v);
    else if (a == "--gen") n_gen = std::atoi(v);
    else if (a == "--reps") reps = std::atoi(v);
    else if (a == "--chunk") chunk = std::atoi(v);
    else if (a == "--only") only = v;
    else return usage();
  }
  if (threads < 1 || n_prompt < 1 || n_gen < 1 || reps < 1 || chunk < 0) return usage();
  if (chunk == 0) chunk = n_prompt;
  try {
    const qvk::model::ModelFile m = qvk::model::open_model(path);
    const auto ctx = static_cast<std::uint32_t>(std::max(n_prompt, n_gen) + 1);
    qvk::ref::Forward fwd(m, ctx, static_cast<unsigned>(threads));
    std::vector<std::int32_t> toks(std::size_t(std::max(n_prompt, n_gen)));
    for (std::size_t i = 0; i < toks.size(); ++i)
      toks[i] = static_cast<std::int32_t>((i * 7919u + 13u) % std::min<std::size_t>(m.config.vocab, 151643));
    std::vector<float> logits;
    auto time_pp = [&] {
      const auto t0 = Clock::now();
      for (int i = 0; i < n_prompt; i += chunk)
        fwd.eval(std::span(toks).subspan(std::size_t(i), std::size_t(std::min(chunk, n_prompt - i))),
                 static_cast<std::uint32_t>(i), false, logits);
      return std::chrono::duration<double>(Clock::now() - t0).count();
    };
    auto time_tg = [&] {
      const auto t0 = Clock::now();
      for (int i = 0; i < n_gen; ++i) fwd.eval(std::span(toks).subspan(std::size_t(i), 1), std::uint32_t(i), false, logits);
      return std::chrono::duration<double>(Clock::now() - t0).count();
    };
    std::vector<double> pp, tg;
    double pp_cpu = 0, tg_cpu = 0;
    if (only != "tg") {
      time_pp();
      const double c0 = cpu_seconds();
      for (int r = 0; r < reps; ++r) pp.push_back(time_pp());
      pp_cpu = (cpu_seconds() - c0) / reps;
    }
    if (only != "pp") {
      time_tg();
      const double c0 = cpu_seconds();
      for (int r = 0; r < reps; ++r) tg.push_back(time_tg());
      tg_cpu = (cpu_seconds() - c0) / reps;
    }
    std::printf("{\"engine\":\"qvk-cpu\",\"isa\":\"%s\",\"model\":\"%s\",\"threads\":%d,\"prompt\":%d,\"chunk\":%d,"
                "\"gen\":%d,\"pp_tok_s\":%.2f,\"tg_tok_s\":%.2f,\"pp_tok_per_cpu_s\":%.2f,\"tg_tok_per_cpu_s\":%.2f,"
                "\"pp_runs\":[%s],\"tg_runs\":[%s]}\n",
                qvk::ref::isa_name(qvk::ref::cpu_isa()), path.c_str(), threads, n_prompt, chunk, n_gen,
                pp.empty() ? 0.0 : n_prompt / median(pp), tg.empty() ? 0.0 : n_gen / median(tg),
                pp.empty() ? 0.0 : n_prompt / pp_cpu, tg.empty() ? 0.0 : n_gen / tg_cpu,
                list(pp, n_prompt).c_str(), list(tg, n_gen).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qvk_bench_cpu: %s\n", e.what());
    return 1;
  }
  return 0;
}
