// peer/cmd_bench.cpp — `llama_peer bench MODEL`: llama.cpp's CPU speed on a model, measured
// the way llama-bench does (pp: one batch of N prompt tokens into an empty cache, logits of
// the last only; tg: N single-token decodes into an empty cache), median of --reps runs
// after one warm-up. Prints one JSON object, with the libggml-cpu variant llama.cpp picked
// for this CPU at load time (ggml_backend_load_all scores every variant and loads the best).
#include <link.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "llama.h"
#include "peer.hpp"

namespace qvk::peer {
namespace {

struct ModelDeleter {
  void operator()(llama_model* m) const { llama_model_free(m); }
};
struct ContextDeleter {
  void operator()(llama_context* c) const { llama_free(c); }
};

// File names of the loaded shared objects that are CPU-variant backends.
std::string loaded_cpu_variants() {
  std::string names;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* user) {
        const char* slash = std::strrchr(info->dlpi_name, '/');
        const char* base = slash ? slash + 1 : info->dlpi_name;
        if (std::strncmp(base, "libggml-cpu", 11) == 0) {
          auto* s = static_cast<std::string*>(user);
          *s += (s->empty() ? "" : ",") + std::string(base);
        }
        return 0;
      },
      &names);
  return names;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Decodes tokens [0, n) at positions pos0.. as one batch; logits of the last only.
void decode(llama_context* ctx, int n, int pos0, int vocab) {
  std::vector<llama_token> tok(static_cast<std::size_t>(n));
  std::vector<llama_pos> pos(tok.size());
  std::vector<std::int32_t> n_seq(tok.size(), 1);
  std::vector<llama_seq_id> seq0(tok.size(), 0);
  std::vector<llama_seq_id*> seq(tok.size());
  std::vector<std::int8_t> logits(tok.size(), 0);
  for (int i = 0; i < n; ++i) {
    tok[std::size_t(i)] = static_cast<llama_token>((std::size_t(pos0 + i) * 7919u + 13u) % std::size_t(vocab));
    pos[std::size_t(i)] = pos0 + i;
    seq[std::size_t(i)] = &seq0[std::size_t(i)];
  }
  logits.back() = 1;
  llama_batch b{};
  b.n_tokens = n;
  b.token = tok.data();
  b.pos = pos.data();
  b.n_seq_id = n_seq.data();
  b.seq_id = seq.data();
  b.logits = logits.data();
  if (const int rc = llama_decode(ctx, b); rc != 0)
    throw PeerError("llama_decode failed with " + std::to_string(rc) + " (see its messages above)");
}

}  // namespace

int run_bench(const Args& args) {
  using Clock = std::chrono::steady_clock;
  const char* usage = "bench MODEL [--threads N] [--prompt N] [--gen N] [--reps N]";
  args.expect_positionals(1, usage);
  const int threads = args.int_option("--threads", 2, 1, 256);
  const int n_prompt = args.int_option("--prompt", 512, 1, 1 << 16);
  const int n_gen = args.int_option("--gen", 128, 1, 1 << 16);
  const int reps = args.int_option("--reps", 3, 1, 100);

  std::unique_ptr<llama_model, ModelDeleter> model(load_model(args.positional(0, "MODEL")));
  const int vocab = llama_vocab_n_tokens(llama_model_get_vocab(model.get()));
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = static_cast<std::uint32_t>(std::max(n_prompt, n_gen) + 1);
  cp.n_batch = cp.n_ubatch = static_cast<std::uint32_t>(n_prompt);
  cp.n_seq_max = 1;
  cp.n_threads = cp.n_threads_batch = threads;
  cp.no_perf = true;
  std::unique_ptr<llama_context, ContextDeleter> ctx(llama_init_from_model(model.get(), cp));
  if (!ctx) throw PeerError("llama.cpp could not create a context (see its messages above)");
  llama_memory_t mem = llama_get_memory(ctx.get());

  auto time_pp = [&] {
    llama_memory_clear(mem, true);
    const auto t0 = Clock::now();
    decode(ctx.get(), n_prompt, 0, vocab);
    llama_synchronize(ctx.get());
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  auto time_tg = [&] {
    llama_memory_clear(mem, true);
    const auto t0 = Clock::now();
    for (int i = 0; i < n_gen; ++i) decode(ctx.get(), 1, i, vocab);
    llama_synchronize(ctx.get());
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  time_pp();  // warm-up (first touches of the mapping, allocations)
  std::vector<double> pp, tg;
  for (int r = 0; r < reps; ++r) pp.push_back(time_pp());
  time_tg();
  for (int r = 0; r < reps; ++r) tg.push_back(time_tg());

  std::string pp_s, tg_s;
  for (double s : pp) pp_s += (pp_s.empty() ? "" : ",") + std::to_string(n_prompt / s);
  for (double s : tg) tg_s += (tg_s.empty() ? "" : ",") + std::to_string(n_gen / s);
  std::printf("{\"engine\":\"llama.cpp\",\"system_info\":\"%s\",\"cpu_variant\":\"%s\",\"threads\":%d,"
              "\"prompt\":%d,\"gen\":%d,\"pp_tok_s\":%.2f,\"tg_tok_s\":%.2f,\"pp_runs\":[%s],\"tg_runs\":[%s]}\n",
              llama_print_system_info(), loaded_cpu_variants().c_str(), threads, n_prompt, n_gen,
              n_prompt / median(pp), n_gen / median(tg), pp_s.c_str(), tg_s.c_str());
  return 0;
}

}  // namespace qvk::peer
