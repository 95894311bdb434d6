// peer/backend.cpp — loading llama.cpp's backends (CPU always, Vulkan with --gpu) and models,
// and its log routing (which also records the buffer sizes llama.cpp reports).
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "ggml-backend.h"
#include "llama.h"
#include "peer.hpp"

namespace qvk::peer {
namespace {

struct LogState {
  bool verbose = false;
  ggml_log_level last = GGML_LOG_LEVEL_INFO;  // CONT lines follow the previous level
  std::vector<BufferSize> buffers;
};
LogState g_log;

// "<func>: <buffer> <what> buffer size = X MiB" (llama-model.cpp, llama-kv-cache.cpp,
// llama-context.cpp): the one place the C API tells what each buffer holds and where.
void record_buffer_size(const char* text, std::vector<BufferSize>& out) {
  static constexpr const char* kKey = " buffer size = ";
  const char* at = std::strstr(text, kKey);
  if (at == nullptr) return;
  const std::string head(text, at);
  const std::size_t colon = head.find(": ");
  if (colon == std::string::npos) return;
  std::istringstream words(head.substr(colon + 2));
  BufferSize b;
  if (!(words >> b.buffer)) return;
  for (std::string w; words >> w;) b.what += (b.what.empty() ? "" : " ") + w;
  char* end = nullptr;
  b.mib = std::strtod(at + std::strlen(kKey), &end);
  if (end == at + std::strlen(kKey)) return;
  const auto ends_with = [&](const char* s) {
    const std::size_t n = std::strlen(s);
    return b.buffer.size() >= n && b.buffer.compare(b.buffer.size() - n, n, s) == 0;
  };
  b.device = b.buffer.rfind("CPU", 0) != 0 && !ends_with("_Host");
  out.push_back(b);
}

void log_to_stderr(ggml_log_level level, const char* text, void* user) {
  auto* s = static_cast<LogState*>(user);
  if (level != GGML_LOG_LEVEL_CONT) s->last = level;
  if (s->last == GGML_LOG_LEVEL_INFO && text != nullptr) record_buffer_size(text, s->buffers);
  if (s->verbose || s->last == GGML_LOG_LEVEL_WARN || s->last == GGML_LOG_LEVEL_ERROR) std::fputs(text, stderr);
}

// The folder libllama was loaded from: the prebuilt CPU variants live next to it.
std::filesystem::path library_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&llama_version), &info) == 0 || info.dli_fname == nullptr)
    throw PeerError("cannot locate the loaded libllama (dladdr failed)");
  return std::filesystem::canonical(info.dli_fname).parent_path();
}

std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw PeerError("cannot read " + p.string());
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// The device load_model offloads to (null-terminated, as llama_model_params::devices wants).
ggml_backend_dev_t g_gpu_devices[2] = {nullptr, nullptr};

}  // namespace

void init_backends(bool verbose) {
  g_log.verbose = verbose;
  llama_log_set(&log_to_stderr, &g_log);
  const std::filesystem::path dir = library_dir();
  // Picks the best libggml-cpu-<variant>.so this CPU supports (scores each candidate). This
  // folder (linux-x64) holds no GPU backend; --gpu loads one from its sibling folder.
  ggml_backend_load_all_from_path(dir.c_str());
  if (ggml_backend_dev_count() == 0)
    throw PeerError("no ggml backend could be loaded from " + dir.string() + " (libggml-cpu-*.so missing?)");
  llama_backend_init();
}

GpuBackend load_gpu_backend() {
  namespace fs = std::filesystem;
  const fs::path own = library_dir();
  const char* env = std::getenv("QVK_PEER_VULKAN_DIR");
  const bool from_env = env != nullptr && *env != '\0';
  const fs::path wanted = from_env ? fs::path(env) : own.parent_path() / "linux-x64-vulkan";
  std::error_code ec;
  if (!fs::is_regular_file(wanted / "libggml-vulkan.so", ec))
    throw PeerError("--gpu: no " + (wanted / "libggml-vulkan.so").string() +
                     (from_env ? " (from $QVK_PEER_VULKAN_DIR)" : " (beside the folder of libllama)") +
                     "; set QVK_PEER_VULKAN_DIR to the linux-x64-vulkan folder that scripts/fetch_peers.sh prepares");
  const fs::path dir = fs::canonical(wanted);
  // Both flavours of the package ship one libggml-base.so; the Vulkan backend links against
  // it by SONAME, so it gets the one already loaded. Refuse when that is not the same file.
  if (dir != own && fs::exists(dir / "libggml-base.so") &&
      file_bytes(dir / "libggml-base.so") != file_bytes(own / "libggml-base.so"))
    throw AbiMismatch("--gpu: " + (dir / "libggml-base.so").string() + " differs from the loaded " +
                      (own / "libggml-base.so").string() +
                      ": the Vulkan backend is from another build (re-run scripts/fetch_peers.sh and rebuild)");
  const fs::path lib = dir / "libggml-vulkan.so";
  ggml_backend_reg_t reg = ggml_backend_load(lib.c_str());
  if (reg == nullptr)
    throw PeerError("--gpu: llama.cpp could not load " + lib.string() +
                    " (is libvulkan.so.1 on the library path? see its messages above)");
  if (ggml_backend_reg_dev_count(reg) == 0)
    throw PeerError("--gpu: ggml-vulkan found no usable Vulkan device (it skips CPU implementations such as "
                    "lavapipe unless GGML_VK_VISIBLE_DEVICES names them, e.g. GGML_VK_VISIBLE_DEVICES=0)");
  ggml_backend_dev_t dev = ggml_backend_reg_dev_get(reg, 0);
  g_gpu_devices[0] = dev;
  return {lib.string(), ggml_backend_dev_name(dev), ggml_backend_dev_description(dev)};
}

void require_model_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw UsageError("model file '" + path + "' does not exist or is not a file");
}

llama_model* load_model(const std::string& path, bool gpu) {
  require_model_file(path);
  llama_model_params mp = llama_model_default_params();
  if (gpu) {
    if (g_gpu_devices[0] == nullptr) throw PeerError("load_model(gpu): load_gpu_backend() was not called");
    mp.devices = g_gpu_devices;  // exactly the device reported, not every one the loader shows
    mp.n_gpu_layers = 999;       // every layer (and the output layer) on the GPU
  } else {
    mp.n_gpu_layers = 0;  // CPU only, whatever backends are present
  }
  llama_model* model = llama_model_load_from_file(path.c_str(), mp);
  if (model == nullptr) throw PeerError("llama.cpp could not load '" + path + "' (see its messages above)");
  return model;
}

std::vector<BufferSize> logged_buffer_sizes() { return g_log.buffers; }

}  // namespace qvk::peer
