// qvk_make_model — writes a Qwen-shaped GGUF with seeded synthetic weights and
// the real Qwen tokenizer, in any of qvk's quant mixes. No network reaches a
// model hub here, so this is how tests, benchmarks and the demo get models.
// The file is written by streaming (memory stays at a few chunks), to
// OUT.partial first and renamed when complete, then re-opened and validated
// by the same loader every model goes through.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/args.hpp"
#include "common/guarded_main.hpp"
#include "common/progress.hpp"
#include "common/model_writer.hpp"
#include "qvk/gguf/file.hpp"
#include "qvk/gguf/writer.hpp"
#include "qvk/model/config_metadata.hpp"
#include "qvk/model/model_file.hpp"
#include "qvk/model/presets.hpp"
#include "qvk/model/recipe.hpp"
#include "qvk/quant/row.hpp"

namespace {

using namespace qvk;
using tools::UsageError;

constexpr const char* kUsage = R"(usage: qvk_make_model --out FILE [options]

Writes a Qwen-shaped GGUF with seeded synthetic weights and the real Qwen
tokenizer. Same arguments, same bytes, whatever the thread count.

  --out FILE          output path (written as FILE.partial, renamed when done)
  --arch A            qwen3 (default) or qwen2 (QKV bias, no QK-norm)
  --preset P          qwen3: tiny (default), 0.6b, 1.7b, 4b, 8b, 14b, 32b
                      qwen2: tiny, 0.5b, 1.5b, 3b, 7b, 14b, 32b (Qwen2.5 shapes)
  --quant Q           f32, f16, bf16, q8_0, q4_0, q4_k_m (default), q6_k
                      (llama.cpp's mixes: LM head Q6_K except in q8_0; q4_k_m
                      puts attn_v/ffn_down of some layers in Q6_K; norms F32)
  --seed N            weight seed (default 1)
  --hidden N --layers N --heads N --kv-heads N --head-dim N --ffn N --context N
                      override the preset's shape
  --tied | --untied   LM head shares token_embd (tied) or has output.weight
  --rope-base F       RoPE frequency base (default 1000000)
  --yarn FACTOR       add YaRN rope-scaling metadata with this factor...
  --yarn-orig-ctx N   ...and this original context (default: the context)
  --vocab FILE        tokenizer source GGUF (default: the bundled Qwen3 vocab;
                      env QVK_VOCAB overrides the default)
  --threads N         worker threads (default: all cores)
  --quiet             no progress output
  -h, --help          this text
)";

model::Config build_config(const tools::Args& a, std::string& preset_name) {
  const std::string arch_s = a.get("--arch").value_or("qwen3");
  model::Arch arch;
  if (arch_s == "qwen3") arch = model::Arch::Qwen3;
  else if (arch_s == "qwen2") arch = model::Arch::Qwen2;
  else throw UsageError("--arch expects qwen3 or qwen2, got '" + arch_s + "'");
  preset_name = a.get("--preset").value_or("tiny");
  auto preset = model::find_preset(arch, preset_name);
  if (!preset) {
    std::string names;
    for (const auto& p : model::kPresets)
      if (p.arch == arch) names += (names.empty() ? "" : ", ") + std::string(p.name);
    throw UsageError("--preset '" + preset_name + "' is not a " + arch_s + " preset (choose from " + names + ")");
  }
  model::Config c = *preset;
  auto set = [&](const char* flag, std::uint32_t& field, std::uint64_t hi) {
    if (auto v = a.get_uint(flag, 1, hi)) field = static_cast<std::uint32_t>(*v);
  };
  set("--hidden", c.hidden, model::kMaxHidden);
  set("--layers", c.layers, model::kMaxLayers);
  set("--heads", c.heads, model::kMaxHeads);
  set("--kv-heads", c.kv_heads, model::kMaxHeads);
  set("--head-dim", c.head_dim, model::kMaxHeadDim);
  set("--ffn", c.ffn, model::kMaxFfn);
  set("--context", c.context_length, model::kMaxContext);
  if (a.has("--tied") && a.has("--untied")) throw UsageError("--tied and --untied are mutually exclusive");
  if (a.has("--tied")) c.tied_embeddings = true;
  if (a.has("--untied")) c.tied_embeddings = false;
  if (auto b = a.get_double("--rope-base")) {
    if (!(*b > 0) || !std::isfinite(*b)) throw UsageError("--rope-base must be a finite number > 0");
    c.rope_base = static_cast<float>(*b);
  }
  if (auto f = a.get_double("--yarn")) {
    if (!(*f > 0) || !std::isfinite(*f)) throw UsageError("--yarn must be a finite factor > 0");
    c.rope_scaling.type = model::RopeScalingType::Yarn;
    c.rope_scaling.factor = static_cast<float>(*f);
    c.rope_scaling.original_context =
        static_cast<std::uint32_t>(a.get_uint("--yarn-orig-ctx", 1, model::kMaxContext).value_or(c.context_length));
  } else if (a.has("--yarn-orig-ctx")) {
    throw UsageError("--yarn-orig-ctx needs --yarn FACTOR");
  }
  // The same rules read_config enforces on files, phrased for flags.
  if (c.heads % c.kv_heads != 0)
    throw UsageError("--kv-heads " + std::to_string(c.kv_heads) + " must divide --heads " + std::to_string(c.heads));
  if (c.head_dim % 2 != 0) throw UsageError("--head-dim must be even (RoPE rotates pairs), got " + std::to_string(c.head_dim));
  if (arch == model::Arch::Qwen2 && a.has("--hidden") && !a.has("--head-dim")) {
    if (c.hidden % c.heads != 0) throw UsageError("--heads must divide --hidden for qwen2 without --head-dim");
    c.head_dim = c.hidden / c.heads;
  }
  return c;
}

int run(int argc, char** argv) {
  tools::Args a(argc, argv,
                {"--out", "--arch", "--preset", "--quant", "--seed", "--hidden", "--layers", "--heads", "--kv-heads",
                 "--head-dim", "--ffn", "--context", "--rope-base", "--yarn", "--yarn-orig-ctx", "--vocab",
                 "--threads"},
                {"--tied", "--untied", "--quiet", "--help"});
  if (a.has("--help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  const auto out = a.get("--out");
  if (!out || out->empty()) throw UsageError("--out FILE is required");
  std::string preset;
  const model::Config c = build_config(a, preset);
  const std::string quant_s = a.get("--quant").value_or("q4_k_m");
  const auto mix = model::find_mix(quant_s);
  if (!mix) throw UsageError("--quant expects f32, f16, bf16, q8_0, q4_0, q4_k_m or q6_k, got '" + quant_s + "'");
  const std::uint64_t seed = a.get_uint("--seed").value_or(1);
  const unsigned threads = static_cast<unsigned>(
      a.get_uint("--threads", 1, 1024).value_or(std::max(1u, std::thread::hardware_concurrency())));
  const bool quiet = a.has("--quiet");
  const auto t0 = std::chrono::steady_clock::now();
  const std::filesystem::path vocab_path = a.has("--vocab") ? std::filesystem::path(*a.get("--vocab")) : tools::default_vocab();

  tools::WriteOptions opt{c, *mix, preset, seed, vocab_path, threads, !quiet};
  try {
    tools::write_model(*out, opt);
  } catch (const std::invalid_argument& e) {  // a mix that cannot apply to this shape
    throw UsageError(std::string("--quant ") + quant_s + ": " + e.what());
  }
  const std::filesystem::path final_path = *out;
  // Read it back through the loader every model goes through.
  const model::ModelFile m = model::open_model(final_path);
  if (!quiet)
    std::fprintf(stderr, "wrote %s: %s %s, %u layers, hidden %u, %s head, %s, %zu tensors, %.1f MB in %.1f s; validated\n",
                 final_path.c_str(), std::string(model::arch_name(c.arch)).c_str(), preset.c_str(), c.layers,
                 c.hidden, m.config.tied_embeddings ? "tied" : "untied", std::string(mix->name).c_str(),
                 m.file.tensors().size(), static_cast<double>(m.file.file_size()) / 1e6,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return qvk::tools::guarded_main("qvk_make_model", [&] { return run(argc, argv); });
}
