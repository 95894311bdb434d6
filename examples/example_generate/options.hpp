// examples/example_generate/options.hpp — the command line of example_generate.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/args.hpp"
#include "qvk/runtime/sampler.hpp"

namespace qvk::example {

constexpr const char* kUsage = R"(usage: example_generate [--model FILE] (--prompt TEXT | --prompt-file FILE) [options]
       example_generate [--model FILE] --tokenize-file FILE [--no-parse-special]

Generates text with a Qwen2/Qwen3 GGUF, streaming it to stdout.

  --model FILE          GGUF model (default: the demo model, written on first run:
                        a Qwen3-0.6B-shaped Q4_K_M with seeded weights)
  --prompt TEXT         prompt text (special tokens like <|im_start|> are parsed)
  --prompt-file FILE    read the prompt from FILE (UTF-8)
  --chat                wrap the prompt as a user turn of the ChatML template
  --think | --no-think  Qwen3 thinking on (default) or off (empty <think> block)
  -n N                  tokens to generate (default 64); stops early at end-of-turn
  --temp T              temperature (default 0.8; 0 = greedy)
  --top-k K             keep the K most likely tokens (default 40; 0 = all)
  --top-p P             nucleus sampling mass (default 0.95; 1 = off)
  --min-p P             drop tokens below P x the top probability (default 0.05; 0 = off)
  --repeat-penalty R    penalty for tokens of the last 64 (default 1.0 = off)
  --seed S              sampling seed (default 0): same seed, same tokens
  --device D            cpu (default: the reference interpreter) or vulkan (the GPU
                        runtime, same logits bit for bit; QVK_DEVICE picks the GPU).
                        On vulkan the GPU draws the token (greedy, or --top-k 1..128
                        with --top-p/--min-p/--temp; same token as on the cpu) and only
                        its id comes back; sampling (not greedy) with --top-k 0 or
                        above 128, or --repeat-penalty, copies the logits back and
                        samples on the CPU
  --threads N           CPU threads (default: all cores; --device cpu only)
  --ctx N               context size in tokens (default: min(4096, model's))
  --prefill-chunk N     prompt tokens per prefill pass (default 256): one pass over the
                        weights on the cpu, one batched submit on vulkan; 1 = token by
                        token. The logits do not depend on it
  --json                one JSON object per generated token, then a summary object
  --dump-logits FILE    write raw little-endian float32 logits, one row of n_vocab per
                        evaluated position: every prompt position, then every
                        generated token that was evaluated (all but the last)
  --tokenize-file FILE  print the token ids of FILE's text as a JSON array and exit
  --no-parse-special    with --tokenize-file: treat <|...|> control tokens as text
  -h, --help            this text

Environment: QVK_DEFAULT_MODEL overrides the default model path; QVK_DEVICE (a device
index or name substring, e.g. H100 or llvmpipe) picks the Vulkan device, QVK_VALIDATION=1
enables the Vulkan validation layer, QVK_PROFILE=1 (--device vulkan) prints the GPU time of one
decode step per kernel at the end.
Exit status: 0 success, 1 runtime error (bad model file, ...), 2 bad usage.
)";

struct Options {
  std::optional<std::string> model, prompt, prompt_file, tokenize_file, dump_logits;
  bool chat = false, think = true, json = false, parse_special = true;
  std::uint32_t n_predict = 64;
  std::optional<std::uint32_t> ctx;
  std::uint32_t prefill_chunk = 256;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::string device = "cpu";
  runtime::SamplerParams sampling;
};

// Checks the sampler settings here, before anything is loaded (without --model
// that would write the demo model first), and names the flag at fault.
inline void validate_sampling(const runtime::SamplerParams& s) {
  try {
    runtime::validate(s);
  } catch (const std::invalid_argument& e) {
    const std::string why = e.what();  // "SamplerParams.<field> must be ..."
    constexpr const char* kFlags[][2] = {{"temperature", "--temp"}, {"top_k", "--top-k"}, {"top_p", "--top-p"},
                                         {"min_p", "--min-p"}, {"repeat_penalty", "--repeat-penalty"}};
    for (const auto& [field, flag] : kFlags)
      if (why.find(std::string("SamplerParams.") + field + " ") != std::string::npos)
        throw tools::UsageError(std::string(flag) + ": " + why);
    throw tools::UsageError(why);
  }
}

inline Options parse_options(int argc, char** argv, bool& help) {
  using tools::UsageError;
  tools::Args a(argc, argv,
                {"--model", "--prompt", "--prompt-file", "-n", "--temp", "--top-k", "--top-p", "--min-p",
                 "--repeat-penalty", "--seed", "--device", "--threads", "--ctx", "--prefill-chunk", "--dump-logits", "--tokenize-file"},
                {"--chat", "--think", "--no-think", "--json", "--no-parse-special", "--help"});
  help = a.has("--help");
  Options o;
  if (help) return o;
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "' (see --help)");
  o.model = a.get("--model");
  o.prompt = a.get("--prompt");
  o.prompt_file = a.get("--prompt-file");
  o.tokenize_file = a.get("--tokenize-file");
  o.dump_logits = a.get("--dump-logits");
  if (o.prompt && o.prompt_file) throw UsageError("--prompt and --prompt-file are mutually exclusive");
  if (o.tokenize_file && (o.prompt || o.prompt_file))
    throw UsageError("--tokenize-file does not generate; drop --prompt/--prompt-file");
  if (!o.tokenize_file && !o.prompt && !o.prompt_file) throw UsageError("one of --prompt or --prompt-file is required");
  if (a.has("--no-parse-special") && !o.tokenize_file) throw UsageError("--no-parse-special only applies to --tokenize-file");
  if (a.has("--think") && a.has("--no-think")) throw UsageError("--think and --no-think are mutually exclusive");
  o.chat = a.has("--chat");
  o.think = !a.has("--no-think");
  if ((a.has("--think") || a.has("--no-think")) && !o.chat) throw UsageError("--think/--no-think need --chat");
  o.json = a.has("--json");
  o.parse_special = !a.has("--no-parse-special");
  if (auto n = a.get_uint("-n", 1, 1u << 24)) o.n_predict = static_cast<std::uint32_t>(*n);
  if (auto c = a.get_uint("--ctx", 1, 1u << 24)) o.ctx = static_cast<std::uint32_t>(*c);
  if (auto c = a.get_uint("--prefill-chunk", 1, 1u << 16)) o.prefill_chunk = static_cast<std::uint32_t>(*c);
  if (auto t = a.get_uint("--threads", 1, 1024)) o.threads = static_cast<unsigned>(*t);
  o.device = a.get("--device").value_or("cpu");
  if (o.device != "cpu" && o.device != "vulkan") throw UsageError("--device expects cpu or vulkan, got '" + o.device + "'");
  auto& s = o.sampling;
  if (auto v = a.get_double("--temp")) s.temperature = static_cast<float>(*v);
  if (auto v = a.get_uint("--top-k", 0, 1u << 24)) s.top_k = static_cast<int>(*v);
  if (auto v = a.get_double("--top-p")) s.top_p = static_cast<float>(*v);
  if (auto v = a.get_double("--min-p")) s.min_p = static_cast<float>(*v);
  if (auto v = a.get_double("--repeat-penalty")) s.repeat_penalty = static_cast<float>(*v);
  if (auto v = a.get_uint("--seed")) s.seed = *v;
  validate_sampling(s);
  return o;
}

}  // namespace qvk::example
