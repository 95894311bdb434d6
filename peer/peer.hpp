// peer/peer.hpp — shared pieces of the llama_peer subcommands.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

struct llama_model;

namespace qvk::peer {

// A usage or input problem: main prints "llama_peer: error: <what>" and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// llama.cpp refused or failed: main prints "llama_peer: error: <what>" and exits 1.
struct PeerError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The libraries loaded do not belong together (header vs library, or a GPU backend from
// another build): main prints the message and exits 3, like the start-up ABI check.
struct AbiMismatch : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Command-line words after the subcommand: positionals in order, `--name value` options and
// `--name` flags (no value).
class Args {
 public:
  Args(const char* command, std::vector<std::string> words, std::vector<std::string> known_options,
       std::vector<std::string> known_flags = {});
  const std::string& positional(std::size_t i, const char* what) const;
  void expect_positionals(std::size_t n, const char* usage) const;
  bool has(const std::string& option) const;
  std::string option(const std::string& option, const std::string& fallback) const;
  int int_option(const std::string& option, int fallback, int min, int max) const;
  bool flag(const std::string& flag) const;

 private:
  std::string command_;
  std::vector<std::string> positionals_;
  std::vector<std::pair<std::string, std::string>> options_;
  std::vector<std::string> flags_;
};

// Loads the CPU backends (libggml-cpu-*.so) from the folder holding libllama, routes
// llama.cpp's log to stderr (errors and warnings always, the rest with --verbose).
void init_backends(bool verbose);

// The GPU backend that `--gpu` loads: libggml-vulkan.so of the same node-llama-cpp release,
// from $QVK_PEER_VULKAN_DIR if set, else from linux-x64-vulkan beside the folder libllama was
// loaded from (the layout of scripts/fetch_peers.sh DIR and of bench/pack_gpu_peer.sh). The
// folder's libggml-base.so, when it has one, must be byte-identical to the loaded one (both
// flavours of the package ship the same file); otherwise AbiMismatch. ggml-vulkan skips CPU
// Vulkan devices (lavapipe) unless GGML_VK_VISIBLE_DEVICES names them (e.g. =0); the first
// device it shows is the one load_model(path, true) offloads to.
struct GpuBackend {
  std::string library;      // path of the libggml-vulkan.so loaded
  std::string device;       // ggml's device name (Vulkan0) and description
  std::string description;
};
GpuBackend load_gpu_backend();

// Throws UsageError unless `path` is a regular file (checked before slow work such as --gpu).
void require_model_file(const std::string& path);

// Loads a model: CPU only (n_gpu_layers 0, whatever backends are present), or with `gpu`
// every layer offloaded (n_gpu_layers 999) to the backend load_gpu_backend() registered.
// Throws PeerError naming the file when llama.cpp refuses it.
llama_model* load_model(const std::string& path, bool gpu = false);

// The "<func>: <buffer> <what> buffer size = X MiB" lines llama.cpp logged so far (model,
// KV, compute, output buffers), captured whatever --verbose says. `device` is false for the
// host buffers (CPU, CPU_Mapped, CPU_REPACK, *_Host).
struct BufferSize {
  std::string buffer, what;
  double mib = 0;
  bool device = false;
};
std::vector<BufferSize> logged_buffer_sizes();

int run_info(const Args& args);
int run_quantize(const Args& args);
int run_logits(const Args& args);
int run_bench(const Args& args);

}  // namespace qvk::peer
