// bench/gpu/generate_bench.hpp — `qvk_bench generate MODEL`: the Vulkan runtime
// (runtime::VkForward) on a whole model, with the protocol of issue #5 that
// `llama_peer bench --gpu` (protocol after-prompt) also follows, so the two can sit side by side:
//
//   one run  = prefill of --prompt tokens from position 0 (pp), then --gen greedy tokens
//              decoded one at a time behind it (tg): each step one submit, the argmax on the
//              GPU, the token id read back and fed into the next step.
//   reported = the median of --reps runs after one warm-up run (upper middle for an even
//              count, as llama_peer), and every run.
//
// Prefill is VkForward's: batched in submits of --prefill-chunk tokens (default 256; 1 = token
// by token), the last prompt token a decode step with the LM head and the pick, so pp = prompt /
// the time from the call to the first generated token's id on the host, which is also the
// time to first token (ttft). Prompt tokens are llama_peer's,
// (i * 7919 + 13) % n_vocab; the generated tokens are the model's own greedy choices, and every
// run must produce the same ones (checked: a run that differs is an error, the bits are fixed).
//
// The roofline: the device's read bandwidth measured in this process by ops::ReadProbe
// (ops_bench.hpp's measure_read_bandwidth, before the model is uploaded) and the weight bytes
// one decode step reads: every tensor of the file except the token embedding table, of which
// one row (and the whole table again when it is the tied LM head). KV-cache and activation
// traffic are not counted. ceiling tok/s = bandwidth / bytes per token; tg / ceiling is the
// fraction of the roofline reached.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "gpu/ops_bench.hpp"
#include "qvk/model/model_file.hpp"
#include "qvk/runtime/vk_forward.hpp"

namespace qvk::bench {

struct GenerateOptions {
  std::string model;
  std::uint32_t prompt = 512, gen = 128, reps = 3;
  std::uint32_t ctx = 0;         // 0: prompt + gen (+ 1 with --profile)
  std::uint32_t read_mib = 2048;  // ReadProbe buffer (capped by maxStorageBufferRange)
  std::uint32_t bw_reps = 20;     // ReadProbe dispatches (the best is the bandwidth)
  bool profile = false;           // one more decode step (and batched prefill submits) timed per dispatch
  std::uint32_t prefill_chunk = runtime::VkForwardOptions{}.prefill_chunk;
  std::vector<std::string> off;   // --off NAME: runtime choices switched off (runtime_switches())
};

// The runtime's value-preserving choices --off can switch off, for A/B runs
// in one session (VkForwardOptions; the bits do not change, the tests say so).
inline const std::vector<std::pair<std::string, bool runtime::VkForwardOptions::*>>& runtime_switches() {
  using O = runtime::VkForwardOptions;
  static const std::vector<std::pair<std::string, bool O::*>> k{
      {"replay", &O::replay},           {"fuse_residual", &O::fuse_residual},
      {"fuse_swiglu_quantize", &O::fuse_swiglu_quantize}, {"stack_gemms", &O::stack_gemms},
      {"merge_rope", &O::merge_rope},   {"overlap_independent", &O::overlap_independent}};
  return k;
}

// Weight bytes one decode step reads (see the header comment).
struct StepBytes {
  std::uint64_t weights = 0;  // the number the roofline divides by
  std::uint64_t embedding_table = 0, embedding_row = 0;
  bool tied = false;
};

inline StepBytes step_weight_bytes(const model::ModelFile& m) {
  StepBytes s;
  s.tied = m.config.tied_embeddings;
  for (const gguf::TensorInfo& t : m.file.tensors()) {
    if (t.name == "token_embd.weight") {
      s.embedding_table = t.n_bytes;
      s.embedding_row = t.n_bytes / std::max<std::uint64_t>(1, t.dims.size() > 1 ? t.dims[1] : 1);
    } else {
      s.weights += t.n_bytes;
    }
  }
  s.weights += s.embedding_row + (s.tied ? s.embedding_table : 0);
  return s;
}

namespace detail {

inline std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "null";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

inline std::string fixed_list(const std::vector<double>& v, int decimals) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + fixed(v[i], decimals);
  return s + "]";
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace detail

// Prints per-variant totals of `times` under `title`; returns them as a JSON field `key`.
inline std::string print_profile(const std::string& title, const std::vector<vk::OpTime>& times, const char* key) {
  std::map<std::string, std::pair<int, double>> by;
  double total = 0;
  for (const vk::OpTime& t : times) {
    by[t.name].first += 1;
    by[t.name].second += t.ns;
    total += t.ns;
  }
  std::vector<std::pair<std::string, std::pair<int, double>>> rows(by.begin(), by.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.second > b.second.second; });
  std::printf("\nprofile of %s: %zu dispatches, %.1f us of kernel time (timestamps add a little)\n", title.c_str(),
              times.size(), total / 1e3);
  std::string json = std::string(",\"") + key + "_total_us\":" + detail::fixed(total / 1e3, 1) + ",\"" + key + "\":[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& [name, v] = rows[i];
    std::printf("  %-32s %4d x  %9.1f us  %5.1f%%\n", name.c_str(), v.first, v.second / 1e3, 100.0 * v.second / total);
    json += std::string(i ? "," : "") + "{\"variant\":" + tools::json_string(name) + ",\"count\":" +
            std::to_string(v.first) + ",\"us\":" + detail::fixed(v.second / 1e3, 1) + "}";
  }
  return json + "]";
}

// Runs the benchmark on `d`, prints the table on stdout, and writes one JSON object (one
// line) to `json` when given.
inline void run_generate(vk::Device& d, const GenerateOptions& o, std::ostream* json) {
  using Clock = std::chrono::steady_clock;
  const auto since = [](Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  if (o.prompt == 0 || o.gen == 0 || o.reps == 0) throw std::invalid_argument("--prompt, --gen and --reps must be > 0");

  const model::ModelFile m = model::open_model(o.model);
  const model::Config& cfg = m.config;
  const std::uint32_t need = o.prompt + o.gen + (o.profile ? 1 : 0);
  const std::uint32_t ctx = o.ctx ? o.ctx : need;
  if (ctx < need)
    throw std::invalid_argument("--ctx " + std::to_string(ctx) + " is below the " + std::to_string(need) +
                                " positions the runs use (prompt + gen" + (o.profile ? " + 1 for --profile)" : ")"));
  if (ctx > cfg.context_length)
    throw std::invalid_argument("context " + std::to_string(ctx) + " exceeds the model's " +
                                std::to_string(cfg.context_length));
  const StepBytes bytes = step_weight_bytes(m);
  const vk::DeviceFeatures& f = d.features();

  std::printf("qvk_bench generate %s\n", o.model.c_str());
  std::printf("device      %s (%s, %s)\n", f.name.c_str(), f.driver_name.c_str(), f.driver_info.c_str());
  std::printf("model       %s, %u layers, hidden %u, ffn %u, vocab %u, %s LM head, file %.1f MB\n",
              std::string(model::arch_name(cfg.arch)).c_str(), cfg.layers, cfg.hidden, cfg.ffn, cfg.vocab,
              bytes.tied ? "tied" : "untied", double(m.file.file_size()) / 1e6);

  // The roofline first, while the GPU holds nothing else.
  double read_gbs = 0;
  {
    vk::PipelineCache pipelines(d);
    Report report(nullptr);
    OpsOptions po;
    po.reps = o.bw_reps;
    po.read_mib = o.read_mib;
    read_gbs = measure_read_bandwidth(d, pipelines, po, report);
  }

  const auto t_load = Clock::now();
  runtime::VkForwardOptions fo;
  fo.prefill_chunk = o.prefill_chunk;
  std::string off_list;  // for the JSON line
  for (const std::string& name : o.off) {
    for (const auto& [n, member] : runtime_switches())
      if (n == name) fo.*member = false;
    off_list += (off_list.empty() ? "\"" : ",\"") + name + "\"";
  }
  runtime::VkForward gpu(m, ctx, d, fo);
  const double load_s = since(t_load);
  const std::uint64_t gpu_bytes = gpu.weight_bytes() + gpu.kv_bytes() + gpu.scratch_bytes();

  std::vector<std::int32_t> prompt(o.prompt);
  for (std::uint32_t i = 0; i < o.prompt; ++i)
    prompt[i] = static_cast<std::int32_t>((std::uint64_t(i) * 7919u + 13u) % cfg.vocab);

  std::vector<double> pp, tg, ttft;  // tok/s per run; time to first token, s
  std::vector<std::int32_t> first_tokens;
  std::uint64_t dispatches = 0;
  for (std::uint32_t r = 0; r <= o.reps; ++r) {  // run 0: the warm-up
    auto t0 = Clock::now();
    std::int32_t tok = gpu.eval_greedy(prompt, 0, false, nullptr);
    const double pp_s = since(t0);
    std::vector<std::int32_t> tokens{tok};
    t0 = Clock::now();
    for (std::uint32_t i = 0; i < o.gen; ++i) {
      const std::int32_t step[1] = {tok};
      tok = gpu.eval_greedy(step, o.prompt + i, false, nullptr);
      tokens.push_back(tok);
    }
    const double tg_s = since(t0);
    dispatches = gpu.last_step_dispatches();
    if (r == 0) {
      first_tokens = tokens;
      continue;
    }
    if (tokens != first_tokens)
      throw std::runtime_error("run " + std::to_string(r) + " generated other tokens than the warm-up run: the "
                               "runtime is not deterministic");
    pp.push_back(o.prompt / pp_s);
    ttft.push_back(pp_s);
    tg.push_back(o.gen / tg_s);
  }
  const double pp_med = detail::median(pp), tg_med = detail::median(tg);
  const double ceiling = read_gbs * 1e9 / double(bytes.weights);
  const double fraction = tg_med / ceiling;

  const std::string prefill_how = gpu.prefill_rows() > 1
                                      ? "batched, " + std::to_string(gpu.prefill_rows()) + " tokens per submit"
                                      : std::string("token by token");
  std::printf("\nprotocol    prompt %u tokens (%s), then %u greedy tokens\n"
              "            (argmax on the GPU, fed back), one submit per token; median of %u runs after a warm-up; "
              "ctx %u\n",
              o.prompt, prefill_how.c_str(), o.gen, o.reps, ctx);
  std::printf("GPU memory  %.1f MB (weights %.1f + KV %.1f + scratch %.1f); load %.2f s\n", double(gpu_bytes) / 1e6,
              double(gpu.weight_bytes()) / 1e6, double(gpu.kv_bytes()) / 1e6, double(gpu.scratch_bytes()) / 1e6,
              load_s);
  std::printf("roofline    %.1f GB/s read (ReadProbe) / %.2f MB of weights per token = %.1f tok/s ceiling\n", read_gbs,
              double(bytes.weights) / 1e6, ceiling);
  std::printf("step        %llu dispatches per greedy decode step%s%s\n\n", static_cast<unsigned long long>(dispatches),
              o.off.empty() ? "" : "; switched off: ", off_list.c_str());
  std::printf("%-8s %14s %14s %10s\n", "run", "prefill tok/s", "decode tok/s", "ttft ms");
  for (std::size_t i = 0; i < pp.size(); ++i) std::printf("%-8zu %14.2f %14.2f %10.1f\n", i + 1, pp[i], tg[i], 1e3 * ttft[i]);
  const double ttft_med = detail::median(ttft);
  std::printf("%-8s %14.2f %14.2f %10.1f   (decode: %.1f%% of the roofline)\n", "median", pp_med, tg_med,
              1e3 * ttft_med, 100.0 * fraction);

  // --profile: one more greedy decode step (and batched prefill submits of the
  // prompt's first tokens and, when the prompt is longer, of its last ones,
  // rewriting their KV rows with the same values) with a timestamp around every
  // dispatch, by variant. The last tokens attend the most positions: where a
  // long prompt's attention cost shows. They are profiled as one submit of the
  // chunk size, which the prefill itself need not make: it batches the prompt
  // but its last token in chunks from position 0, then decodes the last token.
  std::string profile_json;
  if (o.profile && gpu.prefill_rows() > 1) {
    const std::uint32_t n = std::min<std::uint32_t>(gpu.prefill_rows(), o.prompt);
    profile_json += print_profile("one batched prefill submit of " + std::to_string(n) + " tokens",
                                  gpu.profile_prefill(std::span(prompt).first(n), 0), "prefill_profile");
    if (o.prompt > n)
      profile_json += print_profile("the prompt's last " + std::to_string(n) + " tokens as one batched submit, positions " +
                                        std::to_string(o.prompt - n) + " .. " + std::to_string(o.prompt - 1),
                                    gpu.profile_prefill(std::span(prompt).last(n), o.prompt - n),
                                    "prefill_profile_last");
  }
  if (o.profile)
    profile_json += print_profile("one greedy decode step", gpu.profile_step(first_tokens.back(), o.prompt + o.gen),
                                  "profile");

  if (json) {
    std::string first;
    for (std::size_t i = 0; i < std::min<std::size_t>(8, first_tokens.size()); ++i)
      first += (i ? "," : "") + std::to_string(first_tokens[i]);
    *json << "{\"engine\":\"qvk\",\"backend\":\"vulkan\",\"model\":" << tools::json_string(o.model)
          << ",\"model_file_bytes\":" << m.file.file_size() << ",\"arch\":\"" << model::arch_name(cfg.arch)
          << "\",\"layers\":" << cfg.layers << ",\"hidden\":" << cfg.hidden << ",\"vocab\":" << cfg.vocab
          << ",\"tied\":" << (bytes.tied ? "true" : "false") << ",\"device\":" << tools::json_string(f.name)
          << ",\"driver\":" << tools::json_string(f.driver_name + " " + f.driver_info)
          << ",\"protocol\":\"after-prompt\",\"prefill\":" << tools::json_string(prefill_how)
          << ",\"prefill_chunk\":" << gpu.prefill_rows() << ",\"ttft_ms\":" << detail::fixed(1e3 * ttft_med, 1)
          << ",\"tg_tokens\":\"greedy (argmax on the GPU, fed back)\",\"runtime_off\":[" << off_list << "],\"ctx\":" << ctx << ",\"prompt\":" << o.prompt
          << ",\"gen\":" << o.gen << ",\"reps\":" << o.reps << ",\"load_s\":" << detail::fixed(load_s, 3)
          << ",\"pp_tok_s\":" << detail::fixed(pp_med, 2) << ",\"tg_tok_s\":" << detail::fixed(tg_med, 2)
          << ",\"pp_runs\":" << detail::fixed_list(pp, 2) << ",\"tg_runs\":" << detail::fixed_list(tg, 2)
          << ",\"gpu_memory_bytes\":" << gpu_bytes << ",\"weight_bytes\":" << gpu.weight_bytes()
          << ",\"kv_bytes\":" << gpu.kv_bytes() << ",\"scratch_bytes\":" << gpu.scratch_bytes()
          << ",\"dispatches_per_step\":" << dispatches << ",\"weight_bytes_per_token\":" << bytes.weights
          << ",\"read_bw_gb_s\":" << detail::fixed(read_gbs, 3) << ",\"roofline_tok_s\":" << detail::fixed(ceiling, 2)
          << ",\"tg_fraction_of_roofline\":" << detail::fixed(fraction, 5) << ",\"first_tokens\":[" << first << "]"
          << profile_json << "}\n";
    json->flush();
  }
}

}  // namespace qvk::bench
