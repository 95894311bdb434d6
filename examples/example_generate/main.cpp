// example_generate — loads a Qwen GGUF and streams generated text.
//
// Two backends interpret the same forward schedule with the same bits: the
// CPU reference (--device cpu) and the Vulkan runtime (--device vulkan,
// runtime::VkForward). Prefill runs the prompt in chunks of --prefill-chunk
// tokens (default 256: one eval() call each; the CPU makes one pass over the
// weights per chunk, the GPU one batched submit; 1 = token by token; the
// logits do not depend on the chunking), then one token
// per step. On the GPU the token is drawn on the device (the argmax, or top-k
// -> top-p / min-p / temperature draw: the CPU sampler's token bit for bit) and
// only its id comes back; sampled settings with --top-k 0 or above 128, or a
// repetition penalty, download the logits and use the CPU sampler.
#include "qvk/vk/volk_impl.hpp"  // this program's one copy of volk (before any other Vulkan header)

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/guarded_main.hpp"
#include "common/json.hpp"
#include "common/progress.hpp"
#include "default_model.hpp"
#include "options.hpp"
#include "qvk/model/model_file.hpp"
#include "qvk/ref/forward.hpp"
#include "qvk/runtime/sampler.hpp"
#include "qvk/runtime/vk_forward.hpp"
#include "qvk/tokenizer/chat_template.hpp"
#include "qvk/tokenizer/stream_decoder.hpp"
#include "qvk/tokenizer/tokenizer.hpp"

namespace {

using namespace qvk;
using Clock = std::chrono::steady_clock;
using tools::UsageError;


double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string read_file(const std::string& path, const char* flag) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw UsageError(std::string(flag) + ": cannot read '" + path + "'");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Touches every page of every tensor so load time is paid up front, with progress.
void prefault(const model::ModelFile& m, bool show) {
  std::uint64_t total = 0, done = 0;
  for (const auto& t : m.file.tensors()) total += t.n_bytes;
  tools::Progress progress("loading", total, show && total > (64u << 20));
  unsigned sum = 0;
  for (const auto& t : m.file.tensors()) {
    const auto* p = reinterpret_cast<const volatile unsigned char*>(m.file.data(t).data());
    for (std::uint64_t off = 0; off < t.n_bytes; off += 4096) sum += p[off];
    done += t.n_bytes;
    progress.update(done);
  }
  if (sum == 0xffffffffu) std::fputc(' ', stderr);  // keeps the reads from being optimized away
}

// QVK_PROFILE: one more greedy decode step with a timestamp around every
// dispatch, summed per kernel variant, on stderr (it writes the KV row of an
// unused position).
void profile(runtime::VkForward& gpu, std::int32_t token, std::uint32_t pos) {
  const std::vector<vk::OpTime> times = gpu.profile_step(token, pos);
  std::map<std::string, std::pair<int, double>> by_variant;
  double total = 0;
  for (const vk::OpTime& t : times) {
    auto& v = by_variant[t.name];
    ++v.first;
    v.second += t.ns;
    total += t.ns;
  }
  std::vector<std::pair<std::string, std::pair<int, double>>> rows(by_variant.begin(), by_variant.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.second > b.second.second; });
  std::fprintf(stderr, "profile of one greedy decode step: %zu dispatches, %.1f us of kernel time\n", times.size(),
               total / 1e3);
  for (const auto& [name, v] : rows)
    std::fprintf(stderr, "  %-32s %4d x  %9.1f us  %5.1f%%\n", name.c_str(), v.first, v.second / 1e3,
                 100.0 * v.second / total);
}

int run(int argc, char** argv) {
  bool help = false;
  example::Options o = example::parse_options(argc, argv, help);
  if (help) {
    std::fputs(example::kUsage, stdout);
    return 0;
  }
  const auto t_load = Clock::now();
  // The device first: a machine without a usable Vulkan device fails before anything is loaded.
  const bool vulkan = o.device == "vulkan";
  std::unique_ptr<vk::Device> device;
  if (vulkan && !o.tokenize_file) {
    try {
      device = std::make_unique<vk::Device>();  // QVK_DEVICE picks it
    } catch (const vk::Error& e) {
      throw std::runtime_error(std::string("--device vulkan: no usable Vulkan device (") + e.what() +
                               "); use --device cpu");
    }
  }
  const std::filesystem::path path = o.model ? std::filesystem::path(*o.model) : example::ensure_default_model(o.threads);
  if (o.model && !std::filesystem::exists(path)) throw UsageError("--model: no such file '" + path.string() + "'");
  const model::ModelFile m = model::open_model(path);
  const tokenizer::Tokenizer tok = tokenizer::Tokenizer::from_gguf(m.file);

  if (o.tokenize_file) {
    const std::string text = read_file(*o.tokenize_file, "--tokenize-file");
    const auto ids = tok.encode(text, o.parse_special);
    std::string out = "[";
    for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
    std::printf("%s]\n", out.c_str());
    return 0;
  }

  runtime::Sampler sampler(o.sampling);  // parameters already validated by parse_options
  const std::uint32_t ctx = o.ctx.value_or(std::min<std::uint32_t>(4096, m.config.context_length));
  if (ctx > m.config.context_length)
    throw UsageError("--ctx " + std::to_string(ctx) + " exceeds the model's context of " +
                     std::to_string(m.config.context_length));
  std::string text = o.prompt ? *o.prompt : read_file(*o.prompt_file, "--prompt-file");
  if (o.chat) {
    const std::vector<tokenizer::ChatMessage> msgs{{"user", text, std::nullopt}};
    text = tokenizer::render_chat(msgs, tokenizer::ChatOptions{true, o.think});
  }
  const std::vector<std::int32_t> prompt = tok.encode(text, true);
  if (prompt.empty()) throw UsageError("the prompt is empty after tokenization");
  if (prompt.size() >= ctx)
    throw UsageError("the prompt has " + std::to_string(prompt.size()) + " tokens, which does not fit --ctx " +
                     std::to_string(ctx) + " (it needs at least one position to generate)");
  if (prompt.size() + o.n_predict > ctx)
    throw UsageError("-n " + std::to_string(o.n_predict) + " past the context: prompt " + std::to_string(prompt.size()) +
                     " + " + std::to_string(o.n_predict) + " tokens > --ctx " + std::to_string(ctx));

  std::FILE* dump = nullptr;
  if (o.dump_logits) {
    dump = std::fopen(o.dump_logits->c_str(), "wb");
    if (!dump) throw UsageError("--dump-logits: cannot write '" + *o.dump_logits + "'");
  }
  auto write_rows = [&](const std::vector<float>& rows) {
    if (dump && std::fwrite(rows.data(), sizeof(float), rows.size(), dump) != rows.size())
      throw std::runtime_error("--dump-logits: write failed");
  };

  prefault(m, !o.json);
  std::unique_ptr<ref::Forward> cpu;
  std::unique_ptr<runtime::VkForward> gpu;
  if (vulkan) {
    runtime::VkForwardOptions fo;
    fo.prefill_chunk = o.prefill_chunk;
    gpu = std::make_unique<runtime::VkForward>(m, ctx, *device, fo);
  } else {
    cpu = std::make_unique<ref::Forward>(m, ctx, o.threads);
  }
  const double load_s = since(t_load);
  const double mb = 1e6;
  const std::string device_name = vulkan ? device->features().name : "cpu";
  std::uint64_t gpu_bytes = vulkan ? gpu->weight_bytes() + gpu->kv_bytes() + gpu->scratch_bytes() : 0;
  if (!o.json) {
    std::fprintf(stderr, "model %s: %s, %u layers, hidden %u, vocab %u, %.1f MB; ", path.c_str(),
                 std::string(model::arch_name(m.config.arch)).c_str(), m.config.layers, m.config.hidden, m.config.vocab,
                 static_cast<double>(m.file.file_size()) / mb);
    if (vulkan)
      std::fprintf(stderr, "vulkan, %s, ctx %u, GPU memory %.1f MB (weights %.1f + KV %.1f + scratch %.1f)\n",
                   device_name.c_str(), ctx, double(gpu_bytes) / mb, double(gpu->weight_bytes()) / mb,
                   double(gpu->kv_bytes()) / mb, double(gpu->scratch_bytes()) / mb);
    else
      std::fprintf(stderr, "cpu, %u threads, ctx %u\n", o.threads, ctx);
  }
  // The GPU draws the token itself (runtime::sample_token of the logits, so
  // only the id comes back) unless the repetition penalty is on or top-k keeps
  // more than ops::kTopKMaxK candidates (--top-k 0 included): then the logits
  // come back and the CPU sampler draws.
  const runtime::SamplerParams& sp = sampler.params();
  const bool penalty = sp.repeat_penalty != 1.0f && sp.repeat_last_n > 0;
  const bool gpu_pick = vulkan && !penalty && gpu->samples_on_device(sampler.config());
  auto eval = [&](std::span<const std::int32_t> toks, std::uint32_t pos0, std::vector<float>& out) {
    if (vulkan)
      gpu->eval(toks, pos0, dump != nullptr, out);
    else
      cpu->eval(toks, pos0, dump != nullptr, out);
  };

  std::vector<std::int32_t> history(prompt);
  std::vector<float> logits;
  std::int32_t gpu_next = -1;  // gpu_pick: the token the GPU drew after the last evaluated position
  // gpu_pick: the first token's draw (every chunk draws with it; only the last chunk's token is used).
  const float u0 = gpu_pick ? sampler.next_draw() : 0.0f;
  const auto t_prefill = Clock::now();
  for (std::size_t i = 0; i < prompt.size(); i += o.prefill_chunk) {
    const std::size_t n = std::min<std::size_t>(o.prefill_chunk, prompt.size() - i);
    const auto chunk = std::span(prompt).subspan(i, n);
    if (gpu_pick)
      gpu_next = gpu->eval_sample(chunk, static_cast<std::uint32_t>(i), dump != nullptr, dump ? &logits : nullptr,
                                  sampler.config(), u0);
    else
      eval(chunk, static_cast<std::uint32_t>(i), logits);
    write_rows(logits);
  }
  const double prefill_s = since(t_prefill);
  const std::size_t V = m.config.vocab;
  std::span<const float> last = logits.size() >= V ? std::span<const float>(logits.data() + logits.size() - V, V)
                                                   : std::span<const float>();

  if (!o.json) {
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
  }
  tokenizer::StreamDecoder dec(tok);
  std::uint32_t n_gen = 0, n_decoded = 0;
  std::string stop = "length";
  const auto t_decode = Clock::now();
  for (;;) {
    const std::int32_t id = gpu_pick ? gpu_next : sampler.sample(last, history);
    ++n_gen;
    history.push_back(id);
    const bool eog = tok.is_eog(id);
    // The last token also flushes an unfinished character, so the --json texts
    // add up to exactly the streamed text.
    const bool final_token = eog || n_gen >= o.n_predict;
    const std::string piece = (eog ? std::string() : dec.push(id)) + (final_token ? dec.flush() : std::string());
    if (o.json)
      std::printf("{\"index\":%u,\"id\":%d,\"text\":%s,\"eog\":%s}\n", n_gen - 1, id, tools::json_string(piece).c_str(),
                  eog ? "true" : "false");
    else
      std::fputs(piece.c_str(), stdout);
    std::fflush(stdout);
    if (eog) stop = "eog";
    if (final_token) break;
    const std::int32_t step[1] = {id};
    const auto pos = static_cast<std::uint32_t>(history.size() - 1);
    if (gpu_pick)
      gpu_next = gpu->eval_sample(step, pos, false, dump ? &logits : nullptr, sampler.config(), sampler.next_draw());
    else if (vulkan)
      gpu->eval(step, pos, false, logits);
    else
      cpu->eval(step, pos, false, logits);
    ++n_decoded;
    if (dump) write_rows(logits);
    if (!gpu_pick) last = std::span<const float>(logits.data(), V);
  }
  const double decode_s = since(t_decode);
  if (!o.json) std::fputs("\n", stdout);
  if (vulkan && std::getenv("QVK_PROFILE"))
    profile(*gpu, history.back(), static_cast<std::uint32_t>(history.size() - 1));
  if (dump && std::fclose(dump) != 0) throw std::runtime_error("--dump-logits: close failed");

  const double prefill_tps = static_cast<double>(prompt.size()) / prefill_s;
  const double decode_tps = n_decoded > 0 ? n_decoded / decode_s : 0.0;
  // Again at the end: the runtime allocates the host-visible logits rows of
  // batched prefill (--dump-logits) on first use.
  gpu_bytes = vulkan ? gpu->weight_bytes() + gpu->kv_bytes() + gpu->scratch_bytes() : 0;
  auto mbs = [](std::uint64_t bytes) { return std::to_string((bytes + 500000) / 1000000); };
  const std::string device_line =
      vulkan ? "vulkan, " + device_name + ", GPU memory " + mbs(gpu_bytes) + " MB (weights " +
                   mbs(gpu->weight_bytes()) + " + KV " + mbs(gpu->kv_bytes()) + " + scratch " +
                   mbs(gpu->scratch_bytes()) + ")"
             : "cpu";
  std::string where;  // the device fields of the --json summary
  if (vulkan)
    where = "\"device\":\"vulkan\",\"device_name\":" + tools::json_string(device_name) +
            ",\"gpu_memory_bytes\":" + std::to_string(gpu_bytes) + ",\"weight_bytes\":" +
            std::to_string(gpu->weight_bytes()) + ",\"kv_bytes\":" + std::to_string(gpu->kv_bytes()) +
            ",\"scratch_bytes\":" + std::to_string(gpu->scratch_bytes()) + ",\"gpu_sampling\":" +
            (gpu_pick ? "true" : "false");
  else
    where = "\"device\":\"cpu\",\"threads\":" + std::to_string(o.threads);
  if (o.json)
    std::printf("{\"summary\":{\"model\":%s,%s,\"prompt_tokens\":%zu,"
                "\"generated_tokens\":%u,\"stop\":\"%s\",\"load_s\":%.3f,\"prefill_s\":%.3f,\"prefill_tok_s\":%.2f,"
                "\"decode_s\":%.3f,\"decode_tok_s\":%.2f}}\n",
                tools::json_string(path.string()).c_str(), where.c_str(), prompt.size(), n_gen, stop.c_str(), load_s,
                prefill_s, prefill_tps, decode_s, decode_tps);
  else
    std::fprintf(stderr,
                 "\nload %.2f s | prefill %zu tokens, %.1f tok/s | decode %u tokens, %.1f tok/s | stop: %s | device %s\n",
                 load_s, prompt.size(), prefill_tps, n_gen, decode_tps, stop.c_str(), device_line.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return qvk::tools::guarded_main("example_generate", [&] { return run(argc, argv); });
}
