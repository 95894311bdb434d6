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

// Command-line words after the subcommand: positionals in order, `--name value` options.
class Args {
 public:
  Args(const char* command, std::vector<std::string> words, std::vector<std::string> known_options);
  const std::string& positional(std::size_t i, const char* what) const;
  void expect_positionals(std::size_t n, const char* usage) const;
  bool has(const std::string& option) const;
  std::string option(const std::string& option, const std::string& fallback) const;
  int int_option(const std::string& option, int fallback, int min, int max) const;

 private:
  std::string command_;
  std::vector<std::string> positionals_;
  std::vector<std::pair<std::string, std::string>> options_;
};

// Loads the CPU backends (libggml-cpu-*.so) from the folder holding libllama, routes
// llama.cpp's log to stderr (errors and warnings always, the rest with --verbose).
void init_backends(bool verbose);

// CPU-only model load; throws PeerError naming the file when llama.cpp refuses it.
llama_model* load_model(const std::string& path);

int run_info(const Args& args);
int run_quantize(const Args& args);
int run_logits(const Args& args);
int run_bench(const Args& args);

}  // namespace qvk::peer
