// example_generate — loads a Qwen GGUF and streams generated text.
//
// Today the CPU reference interpreter runs the model (--device cpu); the
// Vulkan runtime arrives with issue #5. Prefill runs the prompt in chunks of
// kPrefillChunk tokens (one pass over the weights per chunk; the logits do not
// depend on the chunking), then one token per step.
#include <chrono>
#include <cstdio>
#include <fstream>
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
#include "qvk/tokenizer/chat_template.hpp"
#include "qvk/tokenizer/stream_decoder.hpp"
#include "qvk/tokenizer/tokenizer.hpp"

namespace {

using namespace qvk;
using Clock = std::chrono::steady_clock;
using tools::UsageError;

constexpr std::size_t kPrefillChunk = 64;

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

int run(int argc, char** argv) {
  bool help = false;
  example::Options o = example::parse_options(argc, argv, help);
  if (help) {
    std::fputs(example::kUsage, stdout);
    return 0;
  }
  if (o.device == "vulkan")
    throw UsageError("--device vulkan: the Vulkan runtime is not built yet (issue #5); use --device cpu");

  const auto t_load = Clock::now();
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
  ref::Forward fwd(m, ctx, o.threads);
  const double load_s = since(t_load);
  if (!o.json)
    std::fprintf(stderr, "model %s: %s, %u layers, hidden %u, vocab %u, %.1f MB; cpu, %u threads, ctx %u\n",
                 path.c_str(), std::string(model::arch_name(m.config.arch)).c_str(), m.config.layers, m.config.hidden,
                 m.config.vocab, static_cast<double>(m.file.file_size()) / 1e6, o.threads, ctx);

  std::vector<std::int32_t> history(prompt);
  std::vector<float> logits;
  const auto t_prefill = Clock::now();
  for (std::size_t i = 0; i < prompt.size(); i += kPrefillChunk) {
    const std::size_t n = std::min(kPrefillChunk, prompt.size() - i);
    fwd.eval(std::span(prompt).subspan(i, n), static_cast<std::uint32_t>(i), dump != nullptr, logits);
    write_rows(logits);
  }
  const double prefill_s = since(t_prefill);
  const std::size_t V = m.config.vocab;
  std::span<const float> last(logits.data() + logits.size() - V, V);

  if (!o.json) {
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
  }
  tokenizer::StreamDecoder dec(tok);
  std::uint32_t n_gen = 0, n_decoded = 0;
  std::string stop = "length";
  const auto t_decode = Clock::now();
  for (;;) {
    const std::int32_t id = sampler.sample(last, history);
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
    fwd.eval(step, static_cast<std::uint32_t>(history.size() - 1), false, logits);
    ++n_decoded;
    write_rows(logits);
    last = std::span<const float>(logits.data(), V);
  }
  const double decode_s = since(t_decode);
  if (!o.json) std::fputs("\n", stdout);
  if (dump && std::fclose(dump) != 0) throw std::runtime_error("--dump-logits: close failed");

  const double prefill_tps = static_cast<double>(prompt.size()) / prefill_s;
  const double decode_tps = n_decoded > 0 ? n_decoded / decode_s : 0.0;
  if (o.json)
    std::printf("{\"summary\":{\"model\":%s,\"device\":\"cpu\",\"threads\":%u,\"prompt_tokens\":%zu,"
                "\"generated_tokens\":%u,\"stop\":\"%s\",\"load_s\":%.3f,\"prefill_s\":%.3f,\"prefill_tok_s\":%.2f,"
                "\"decode_s\":%.3f,\"decode_tok_s\":%.2f}}\n",
                tools::json_string(path.string()).c_str(), o.threads, prompt.size(), n_gen, stop.c_str(), load_s,
                prefill_s, prefill_tps, decode_s, decode_tps);
  else
    std::fprintf(stderr, "\nload %.2f s | prefill %zu tokens, %.1f tok/s | decode %u tokens, %.1f tok/s | stop: %s\n",
                 load_s, prompt.size(), prefill_tps, n_gen, decode_tps, stop.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return qvk::tools::guarded_main("example_generate", [&] { return run(argc, argv); });
}
