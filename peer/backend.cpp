// peer/backend.cpp — loading llama.cpp's CPU backend and models, and its log routing.
#include <dlfcn.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "ggml-backend.h"
#include "llama.h"
#include "peer.hpp"

namespace qvk::peer {
namespace {

struct LogState {
  bool verbose = false;
  ggml_log_level last = GGML_LOG_LEVEL_INFO;  // CONT lines follow the previous level
};
LogState g_log;

void log_to_stderr(ggml_log_level level, const char* text, void* user) {
  auto* s = static_cast<LogState*>(user);
  if (level != GGML_LOG_LEVEL_CONT) s->last = level;
  if (s->verbose || s->last == GGML_LOG_LEVEL_WARN || s->last == GGML_LOG_LEVEL_ERROR) std::fputs(text, stderr);
}

// The folder libllama was loaded from: the prebuilt CPU variants live next to it.
std::filesystem::path library_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&llama_version), &info) == 0 || info.dli_fname == nullptr)
    throw PeerError("cannot locate the loaded libllama (dladdr failed)");
  return std::filesystem::canonical(info.dli_fname).parent_path();
}

}  // namespace

void init_backends(bool verbose) {
  g_log.verbose = verbose;
  llama_log_set(&log_to_stderr, &g_log);
  const std::filesystem::path dir = library_dir();
  // Picks the best libggml-cpu-<variant>.so this CPU supports (scores each candidate).
  ggml_backend_load_all_from_path(dir.c_str());
  if (ggml_backend_dev_count() == 0)
    throw PeerError("no ggml backend could be loaded from " + dir.string() + " (libggml-cpu-*.so missing?)");
  llama_backend_init();
}

llama_model* load_model(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw UsageError("model file '" + path + "' does not exist or is not a file");
  llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = 0;  // CPU only, whatever backends are present
  llama_model* model = llama_model_load_from_file(path.c_str(), mp);
  if (model == nullptr) throw PeerError("llama.cpp could not load '" + path + "' (see its messages above)");
  return model;
}

}  // namespace qvk::peer
