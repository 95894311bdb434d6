// peer/cmd_info.cpp — `llama_peer info MODEL`: what llama.cpp makes of a GGUF, as one JSON object.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "llama.h"
#include "peer.hpp"

namespace qvk::peer {
namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// Metadata value as llama.cpp renders it; empty optional-like "" when the key is absent.
bool meta(const llama_model* model, const std::string& key, std::string& value) {
  char buf[512];
  const int n = llama_model_meta_val_str(model, key.c_str(), buf, sizeof buf);
  if (n < 0) return false;
  value.assign(buf);
  return true;
}

// A metadata number as a JSON number, or null when absent or not numeric.
std::string meta_number(const llama_model* model, const std::string& key) {
  std::string v;
  if (!meta(model, key, v) || v.empty()) return "null";
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (end != v.c_str() + v.size()) return "null";
  char b[64];
  std::snprintf(b, sizeof b, "%.17g", d);
  return b;
}

}  // namespace

int run_info(const Args& args) {
  args.expect_positionals(1, "info MODEL");
  llama_model* model = load_model(args.positional(0, "MODEL"));
  const llama_vocab* vocab = llama_model_get_vocab(model);

  std::string arch;
  if (!meta(model, "general.architecture", arch)) arch.clear();
  char desc[256];
  llama_model_desc(model, desc, sizeof desc);

  std::printf(
      "{\"n_embd\":%d,\"n_layer\":%d,\"n_head\":%d,\"n_head_kv\":%d,\"n_vocab\":%d,\"n_ctx_train\":%d,"
      "\"n_params\":%llu,\"size\":%llu,\"rope_freq_base\":%s,\"desc\":%s,\"general.architecture\":%s,"
      "\"ftype\":%s}\n",
      llama_model_n_embd(model), llama_model_n_layer(model), llama_model_n_head(model),
      llama_model_n_head_kv(model), llama_vocab_n_tokens(vocab), llama_model_n_ctx_train(model),
      static_cast<unsigned long long>(llama_model_n_params(model)),
      static_cast<unsigned long long>(llama_model_size(model)),
      meta_number(model, arch + ".rope.freq_base").c_str(), json_string(desc).c_str(),
      arch.empty() ? "null" : json_string(arch).c_str(), json_string(llama_ftype_name(llama_model_ftype(model))).c_str());
  llama_model_free(model);
  return 0;
}

}  // namespace qvk::peer
