// peer/cmd_bench.cpp — `llama_peer bench MODEL`: llama.cpp's speed on a model, CPU only or
// (--gpu) with every layer on the Vulkan backend and flash attention on. Two protocols:
//
//   llama-bench   (default on the CPU) as llama-bench measures: pp = one batch of N prompt
//                 tokens into an empty cache, logits of the last only, --reps runs; tg = --gen
//                 single-token decodes into an empty cache (positions 0..gen-1), --reps runs.
//   after-prompt  (default with --gpu; issue #5's protocol, the one `qvk_bench generate` uses)
//                 each run clears the cache, decodes the prompt as one batch (pp), then --gen
//                 single-token decodes at positions prompt..prompt+gen-1 behind it (tg).
//
// Both take the median of --reps runs after one warm-up run. Tokens come from the position,
// (pos * 7919 + 13) % n_vocab, and llama.cpp is not made to wait for each one (llama-bench's
// way); --greedy instead feeds back the host argmax of each step's logits, a real greedy
// loop with one round trip per token as in `qvk_bench generate`. Prints one JSON object, with
// the libggml-cpu variant llama.cpp picked for this CPU, the Vulkan device with --gpu, and
// the buffer sizes llama.cpp logged (model, KV, compute, output; device ones summed as
// gpu_memory_bytes — llama.h has no call for them, so they come from its load log, 0.01 MiB
// resolution).
#include <link.h>

#include <algorithm>
#include <chrono>
#include <cmath>
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

std::string json_escape(const std::string& s) {
  std::string o = "\"";
  for (const unsigned char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      o += buf;
    } else {
      o += static_cast<char>(c);
    }
  }
  return o + "\"";
}

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

// The median of an odd count; the upper middle of an even one (as qvk_bench reports).
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

llama_token token_at(int pos, int vocab) {
  return static_cast<llama_token>((std::size_t(pos) * 7919u + 13u) % std::size_t(vocab));
}

// Decodes `tok` at positions pos0.. as one batch; logits of the last only.
void decode(llama_context* ctx, std::vector<llama_token> tok, int pos0) {
  const std::size_t n = tok.size();
  std::vector<llama_pos> pos(n);
  std::vector<std::int32_t> n_seq(n, 1);
  std::vector<llama_seq_id> seq0(n, 0);
  std::vector<llama_seq_id*> seq(n);
  std::vector<std::int8_t> logits(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    pos[i] = pos0 + static_cast<int>(i);
    seq[i] = &seq0[i];
  }
  logits.back() = 1;
  llama_batch b{};
  b.n_tokens = static_cast<std::int32_t>(n);
  b.token = tok.data();
  b.pos = pos.data();
  b.n_seq_id = n_seq.data();
  b.seq_id = seq.data();
  b.logits = logits.data();
  if (const int rc = llama_decode(ctx, b); rc != 0)
    throw PeerError("llama_decode failed with " + std::to_string(rc) + " (see its messages above)");
}

// Tokens pos0..pos0+n-1 from the position formula.
std::vector<llama_token> formula_tokens(int n, int pos0, int vocab) {
  std::vector<llama_token> t(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) t[std::size_t(i)] = token_at(pos0 + i, vocab);
  return t;
}

// The lowest id of the largest logit of the last decoded position (waits for the GPU).
llama_token host_argmax(llama_context* ctx, int vocab) {
  const float* row = llama_get_logits_ith(ctx, -1);
  if (row == nullptr) throw PeerError("llama.cpp returned no logits for the last position");
  return static_cast<llama_token>(std::max_element(row, row + vocab) - row);
}

std::string list(const std::vector<double>& v) {
  std::string s;
  for (double x : v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", x);
    s += (s.empty() ? "" : ",") + std::string(buf);
  }
  return s;
}

}  // namespace

int run_bench(const Args& args) {
  using Clock = std::chrono::steady_clock;
  const auto since = [](Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  const char* usage =
      "bench MODEL [--gpu] [--threads N] [--prompt N] [--gen N] [--reps N] [--ctx N]\n"
      "                   [--protocol llama-bench|after-prompt] [--greedy]";
  args.expect_positionals(1, usage);
  const bool gpu = args.flag("--gpu");
  const bool greedy = args.flag("--greedy");
  const int threads = args.int_option("--threads", 2, 1, 256);
  const int n_prompt = args.int_option("--prompt", 512, 1, 1 << 16);
  const int n_gen = args.int_option("--gen", 128, 1, 1 << 16);
  const int reps = args.int_option("--reps", 3, 1, 100);
  const std::string protocol = args.option("--protocol", gpu ? "after-prompt" : "llama-bench");
  if (protocol != "llama-bench" && protocol != "after-prompt")
    throw UsageError("bench: --protocol expects llama-bench or after-prompt, got '" + protocol + "'");
  const bool after = protocol == "after-prompt";
  const int need_ctx = after ? n_prompt + n_gen : std::max(n_prompt, n_gen) + 1;
  const int n_ctx = args.int_option("--ctx", need_ctx, 1, 1 << 20);
  if (n_ctx < need_ctx)
    throw UsageError("bench: --ctx " + std::to_string(n_ctx) + " is below the " + std::to_string(need_ctx) +
                     " positions this protocol uses");

  const std::string path = args.positional(0, "MODEL");
  require_model_file(path);
  GpuBackend backend;
  if (gpu) backend = load_gpu_backend();
  const auto t_load = Clock::now();
  std::unique_ptr<llama_model, ModelDeleter> model(load_model(path, gpu));
  const int vocab = llama_vocab_n_tokens(llama_model_get_vocab(model.get()));
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = static_cast<std::uint32_t>(n_ctx);
  cp.n_batch = cp.n_ubatch = static_cast<std::uint32_t>(n_prompt);
  cp.n_seq_max = 1;
  cp.n_threads = cp.n_threads_batch = threads;
  if (gpu) cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_ENABLED;  // llama.cpp's fast GPU setup (f16 KV cache)
  cp.no_perf = true;
  std::unique_ptr<llama_context, ContextDeleter> ctx(llama_init_from_model(model.get(), cp));
  if (!ctx) throw PeerError("llama.cpp could not create a context (see its messages above)");
  const double load_s = since(t_load);
  llama_memory_t mem = llama_get_memory(ctx.get());

  // Single-token decodes at positions pos0..pos0+n_gen-1, the first token `first`.
  auto generate = [&](int pos0, llama_token first) {
    llama_token t = first;
    for (int i = 0; i < n_gen; ++i) {
      decode(ctx.get(), {t}, pos0 + i);
      t = greedy ? host_argmax(ctx.get(), vocab) : token_at(pos0 + i + 1, vocab);
    }
    llama_synchronize(ctx.get());
  };
  auto time_pp = [&] {  // empty cache, one batch; returns seconds
    llama_memory_clear(mem, true);
    const auto t0 = Clock::now();
    decode(ctx.get(), formula_tokens(n_prompt, 0, vocab), 0);
    llama_synchronize(ctx.get());
    return since(t0);
  };
  std::vector<double> pp, tg;  // tok/s per run
  if (after) {
    // One run: the prompt into an empty cache, then the tokens behind it.
    auto run = [&](bool keep) {
      const double pp_s = time_pp();
      const llama_token first = greedy ? host_argmax(ctx.get(), vocab) : token_at(n_prompt, vocab);
      const auto t0 = Clock::now();
      generate(n_prompt, first);
      const double tg_s = since(t0);
      if (keep) {
        pp.push_back(n_prompt / pp_s);
        tg.push_back(n_gen / tg_s);
      }
    };
    run(false);  // warm-up (first touches of the mapping, allocations, pipelines)
    for (int r = 0; r < reps; ++r) run(true);
  } else {  // all pp runs, then all tg runs from an empty cache, each after its own warm-up
    time_pp();
    for (int r = 0; r < reps; ++r) pp.push_back(n_prompt / time_pp());
    for (int r = -1; r < reps; ++r) {
      llama_memory_clear(mem, true);
      const auto t0 = Clock::now();
      generate(0, token_at(0, vocab));
      if (r >= 0) tg.push_back(n_gen / since(t0));
    }
  }

  double device_mib = 0, device_model_mib = 0;
  std::string buffers;
  for (const BufferSize& b : logged_buffer_sizes()) {
    if (b.device) device_mib += b.mib;
    if (b.device && b.what == "model") device_model_mib += b.mib;
    char buf[256];
    std::snprintf(buf, sizeof buf, "{\"buffer\":%s,\"what\":%s,\"mib\":%.2f,\"device\":%s}", json_escape(b.buffer).c_str(),
                  json_escape(b.what).c_str(), b.mib, b.device ? "true" : "false");
    buffers += (buffers.empty() ? "" : ",") + std::string(buf);
  }
  std::string gpu_fields;
  if (gpu)
    gpu_fields = ",\"gpu_lib\":" + json_escape(backend.library) + ",\"device\":" + json_escape(backend.description) +
                 ",\"ggml_device\":" + json_escape(backend.device) +
                 ",\"gpu_memory_bytes\":" + std::to_string(std::llround(device_mib * 1048576.0)) +
                 // Weights llama.cpp placed on the device: ≈ model_bytes less the input embedding
                 // table when every layer and the LM head are there (on lavapipe it keeps the LM
                 // head on the CPU; look here before trusting a comparison).
                 ",\"gpu_model_bytes\":" + std::to_string(std::llround(device_model_mib * 1048576.0)) +
                 ",\"gpu_memory_source\":\"llama.cpp's logged buffer sizes (model+KV+compute+output on the device)\"";
  std::printf("{\"engine\":\"llama.cpp\",\"backend\":\"%s\",\"model\":%s,\"model_bytes\":%llu,\"system_info\":%s,"
              "\"cpu_variant\":\"%s\",\"threads\":%d%s,\"n_gpu_layers\":%d,\"flash_attn\":\"%s\",\"protocol\":\"%s\","
              "\"tg_tokens\":\"%s\",\"ctx\":%u,\"prompt\":%d,\"gen\":%d,\"reps\":%d,\"load_s\":%.3f,"
              "\"pp_tok_s\":%.2f,\"tg_tok_s\":%.2f,\"pp_runs\":[%s],\"tg_runs\":[%s],\"buffers\":[%s]}\n",
              gpu ? "vulkan" : "cpu", json_escape(path).c_str(),
              static_cast<unsigned long long>(llama_model_size(model.get())),
              json_escape(llama_print_system_info()).c_str(), loaded_cpu_variants().c_str(), threads,
              gpu_fields.c_str(), gpu ? 999 : 0, gpu ? "on" : "auto", protocol.c_str(),
              greedy ? "greedy (host argmax fed back)" : "position formula", llama_n_ctx(ctx.get()), n_prompt, n_gen,
              reps, load_s, median(pp), median(tg), list(pp).c_str(), list(tg).c_str(), buffers.c_str());
  return 0;
}

}  // namespace qvk::peer
