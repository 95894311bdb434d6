// peer/llama_peer.cpp — llama.cpp as a peer: a small CLI over the prebuilt libllama.
//
//   llama_peer [--verbose] info MODEL
//   llama_peer [--verbose] quantize IN OUT FTYPE [--threads N]
//   llama_peer [--verbose] logits MODEL --tokens 1,2,3 --out FILE [--gpu] [--threads N] [--kv-type f32|f16] [--flash-attn off|on]
//   llama_peer [--verbose] bench MODEL [--gpu] [--threads N] [--prompt N] [--gen N] [--reps N] [--ctx N]
//                          [--protocol llama-bench|after-prompt] [--greedy]
//   llama_peer [--verbose] abi-check
//
// Before any subcommand it checks that the llama.h it was compiled against matches the
// library it runs with (abi_check.hpp) and refuses to run otherwise. Exit codes: 0 ok,
// 1 llama.cpp failed, 2 bad usage or input, 3 header/library mismatch.
//
// --gpu (bench, logits) offloads every layer to llama.cpp's Vulkan backend, loaded from
// linux-x64-vulkan beside the libllama folder or $QVK_PEER_VULKAN_DIR (peer.hpp says how;
// on lavapipe also GGML_VK_VISIBLE_DEVICES=0).
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "abi_check.hpp"
#include "peer.hpp"

namespace {

constexpr const char* kUsage =
    "usage: llama_peer [--verbose] <command> ...\n"
    "  info MODEL                                   model facts as one JSON object\n"
    "  quantize IN OUT FTYPE [--threads N]          FTYPE: f16 q8_0 q4_0 q4_k_m q5_k_m q6_k\n"
    "  logits MODEL --tokens 1,2,3 --out FILE [--gpu] [--threads N] [--kv-type f32|f16] [--flash-attn off|on]\n"
    "                                               n_tokens x n_vocab float32 LE logits\n"
    "  bench MODEL [--gpu] [--threads N] [--prompt N] [--gen N] [--reps N] [--ctx N]\n"
    "              [--protocol llama-bench|after-prompt] [--greedy]\n"
    "                                               llama.cpp pp/tg speed (median), JSON\n"
    "  abi-check                                    only the header/library layout check\n"
    "  --gpu: every layer on the Vulkan backend (linux-x64-vulkan beside the libllama folder,\n"
    "         or $QVK_PEER_VULKAN_DIR; lavapipe needs GGML_VK_VISIBLE_DEVICES=0), flash attention on\n";

int dispatch(const std::string& command, std::vector<std::string> words) {
  using qvk::peer::Args;
  if (command == "info") return qvk::peer::run_info(Args("info", std::move(words), {}));
  if (command == "quantize") return qvk::peer::run_quantize(Args("quantize", std::move(words), {"--threads"}));
  if (command == "logits")
    return qvk::peer::run_logits(
        Args("logits", std::move(words), {"--tokens", "--out", "--threads", "--kv-type", "--flash-attn"}, {"--gpu"}));
  if (command == "bench")
    return qvk::peer::run_bench(Args("bench", std::move(words),
                                     {"--threads", "--prompt", "--gen", "--reps", "--ctx", "--protocol"},
                                     {"--gpu", "--greedy"}));
  if (command == "abi-check") {
    Args("abi-check", std::move(words), {}).expect_positionals(0, "abi-check");
    std::puts("llama_peer: llama.h matches the prebuilt library");
    return 0;
  }
  throw qvk::peer::UsageError("unknown command '" + command + "'\n" + kUsage);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  bool verbose = false;
  if (!words.empty() && words.front() == "--verbose") {
    verbose = true;
    words.erase(words.begin());
  }
  if (words.empty() || words.front() == "--help" || words.front() == "-h") {
    std::fputs(kUsage, words.empty() ? stderr : stdout);
    return words.empty() ? 2 : 0;
  }
  const std::string command = words.front();
  words.erase(words.begin());

  if (const std::string mismatch = qvk::peer::check_abi(); !mismatch.empty()) {
    std::fprintf(stderr,
                 "llama_peer: error: the llama.h this was compiled against does not match the prebuilt library; "
                 "refusing to run (re-run scripts/fetch_peers.sh and rebuild):\n%s",
                 mismatch.c_str());
    return 3;
  }
  try {
    qvk::peer::init_backends(verbose);
    return dispatch(command, std::move(words));
  } catch (const qvk::peer::UsageError& e) {
    std::fprintf(stderr, "llama_peer: error: %s\n", e.what());
    return 2;
  } catch (const qvk::peer::AbiMismatch& e) {
    std::fprintf(stderr, "llama_peer: error: %s\n", e.what());
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "llama_peer: error: %s\n", e.what());
    return 1;
  }
}
