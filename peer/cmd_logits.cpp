// peer/cmd_logits.cpp — `llama_peer logits MODEL --tokens 1,2,3 --out FILE`: a teacher-forced
// forward over all tokens in one batch (one ubatch), logits of every position written as
// n_tokens × n_vocab float32 little-endian, row-major (position-major), no header.
//
// Numerics choices, for parity checks against qvk: flash attention off and an f32 KV cache by
// default (`--kv-type f16` and `--flash-attn on` give llama.cpp's usual setup). --gpu runs every
// layer on the Vulkan backend (load_gpu_backend in peer.hpp), same settings otherwise.
#include <bit>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "llama.h"
#include "peer.hpp"

namespace qvk::peer {
namespace {

static_assert(std::endian::native == std::endian::little, "the logits file is written in native order");

std::vector<llama_token> parse_tokens(const std::string& s) {
  std::vector<llama_token> tokens;
  std::size_t at = 0;
  while (at <= s.size()) {
    const std::size_t comma = std::min(s.find(',', at), s.size());
    const std::string item = s.substr(at, comma - at);
    llama_token t = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), t);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() || t < 0)
      throw UsageError("logits: --tokens expects comma-separated non-negative integers, bad item '" + item +
                       "' at token #" + std::to_string(tokens.size()));
    tokens.push_back(t);
    at = comma + 1;
  }
  return tokens;
}

ggml_type parse_kv_type(const std::string& s) {
  if (s == "f32") return GGML_TYPE_F32;
  if (s == "f16") return GGML_TYPE_F16;
  throw UsageError("logits: --kv-type expects f32 or f16, got '" + s + "'");
}

llama_flash_attn_type parse_flash_attn(const std::string& s) {
  if (s == "off") return LLAMA_FLASH_ATTN_TYPE_DISABLED;
  if (s == "on") return LLAMA_FLASH_ATTN_TYPE_ENABLED;
  throw UsageError("logits: --flash-attn expects on or off, got '" + s + "'");
}

struct ModelDeleter {
  void operator()(llama_model* m) const { llama_model_free(m); }
};
struct ContextDeleter {
  void operator()(llama_context* c) const { llama_free(c); }
};

}  // namespace

int run_logits(const Args& args) {
  const char* usage =
      "logits MODEL --tokens 1,2,3 --out FILE [--gpu] [--threads N] [--kv-type f32|f16] [--flash-attn off|on]";
  args.expect_positionals(1, usage);
  if (!args.has("--tokens") || !args.has("--out"))
    throw UsageError(std::string("logits: --tokens and --out are required\nusage: llama_peer ") + usage);
  const std::vector<llama_token> tokens = parse_tokens(args.option("--tokens", ""));
  const std::string out_path = args.option("--out", "");
  const int threads = args.int_option("--threads", 2, 1, 256);
  const ggml_type kv_type = parse_kv_type(args.option("--kv-type", "f32"));
  const llama_flash_attn_type flash = parse_flash_attn(args.option("--flash-attn", "off"));

  {  // fail before the (slow) model load when the output cannot be written
    const std::filesystem::path parent = std::filesystem::absolute(out_path).parent_path();
    std::error_code ec;
    if (!std::filesystem::is_directory(parent, ec))
      throw UsageError("logits: the folder of --out '" + out_path + "' does not exist");
  }
  const bool gpu = args.flag("--gpu");
  require_model_file(args.positional(0, "MODEL"));
  GpuBackend backend;
  if (gpu) backend = load_gpu_backend();
  std::unique_ptr<llama_model, ModelDeleter> model(load_model(args.positional(0, "MODEL"), gpu));
  const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model.get()));
  const int n_tokens = static_cast<int>(tokens.size());
  for (int i = 0; i < n_tokens; ++i)
    if (tokens[i] >= n_vocab)
      throw UsageError("logits: token #" + std::to_string(i) + " = " + std::to_string(tokens[i]) +
                       " is outside the vocabulary (n_vocab " + std::to_string(n_vocab) + ")");
  if (n_tokens > llama_model_n_ctx_train(model.get()))
    throw UsageError("logits: " + std::to_string(n_tokens) + " tokens exceed the model's training context " +
                     std::to_string(llama_model_n_ctx_train(model.get())));

  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = static_cast<std::uint32_t>(n_tokens);
  cp.n_batch = cp.n_ubatch = static_cast<std::uint32_t>(n_tokens);  // one batch, one ubatch
  cp.n_seq_max = 1;
  cp.n_outputs_max_per_seq = 0;  // every position is an output
  cp.n_threads = cp.n_threads_batch = threads;
  cp.type_k = cp.type_v = kv_type;
  cp.flash_attn_type = flash;
  cp.no_perf = true;
  std::unique_ptr<llama_context, ContextDeleter> ctx(llama_init_from_model(model.get(), cp));
  if (!ctx) throw PeerError("llama.cpp could not create a context (see its messages above)");

  std::vector<llama_token> tok = tokens;
  std::vector<llama_pos> pos(tokens.size());
  std::vector<std::int32_t> n_seq_id(tokens.size(), 1);
  std::vector<llama_seq_id> seq0(tokens.size(), 0);
  std::vector<llama_seq_id*> seq_id(tokens.size());
  std::vector<std::int8_t> want_logits(tokens.size(), 1);
  for (int i = 0; i < n_tokens; ++i) {
    pos[i] = i;
    seq_id[i] = &seq0[i];
  }
  llama_batch batch{};
  batch.n_tokens = n_tokens;
  batch.token = tok.data();
  batch.pos = pos.data();
  batch.n_seq_id = n_seq_id.data();
  batch.seq_id = seq_id.data();
  batch.logits = want_logits.data();
  if (const int rc = llama_decode(ctx.get(), batch); rc != 0)
    throw PeerError("llama_decode failed with " + std::to_string(rc) + " (see its messages above)");

  std::FILE* f = std::fopen(out_path.c_str(), "wb");
  if (f == nullptr) throw UsageError("logits: cannot open '" + out_path + "' for writing");
  bool ok = true;
  for (int i = 0; i < n_tokens && ok; ++i) {
    const float* row = llama_get_logits_ith(ctx.get(), i);
    if (row == nullptr) {
      std::fclose(f);
      throw PeerError("llama.cpp returned no logits for position " + std::to_string(i));
    }
    ok = std::fwrite(row, sizeof(float), static_cast<std::size_t>(n_vocab), f) == static_cast<std::size_t>(n_vocab);
  }
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) throw PeerError("logits: writing '" + out_path + "' failed");
  std::printf("{\"n_tokens\":%d,\"n_vocab\":%d,\"out\":\"%s\",\"kv_type\":\"%s\",\"flash_attn\":\"%s\",\"backend\":\"%s\"}\n",
              n_tokens, n_vocab, out_path.c_str(), kv_type == GGML_TYPE_F32 ? "f32" : "f16",
              flash == LLAMA_FLASH_ATTN_TYPE_ENABLED ? "on" : "off", gpu ? backend.description.c_str() : "cpu");
  return 0;
}

}  // namespace qvk::peer
