// qvk_tokenizer_bench FILE [VOCAB.gguf] — encode speed of the Qwen tokenizer
// on one core. Prints load time, the first (cold word cache) pass and the
// best of five further passes, in MB/s of input, plus the tokens per byte.
// A tool, not a test: timings depend on the machine.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "qvk/gguf/file.hpp"
#include "qvk/tokenizer/tokenizer.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s TEXT_FILE [VOCAB.gguf]\n", argv[0]);
    return 2;
  }
  const std::string vocab = argc == 3 ? argv[2] : std::string(QVK_SOURCE_DIR) + "/data/qwen-vocab/ggml-vocab-qwen3.gguf";
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const double mb = static_cast<double>(text.size()) / 1e6;

  try {
    auto t0 = std::chrono::steady_clock::now();
    const auto f = qvk::gguf::File::open(vocab);
    const double t_open = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    const auto tok = qvk::tokenizer::Tokenizer::from_gguf(f);
    const double t_build = seconds_since(t0);
    std::printf("vocab %s: gguf open %.3f s, tokenizer build %.3f s\n", vocab.c_str(), t_open, t_build);

    t0 = std::chrono::steady_clock::now();
    const auto ids = tok.encode(text, false);
    const double t_cold = seconds_since(t0);
    double best = 1e30;
    for (int run = 0; run < 5; ++run) {
      t0 = std::chrono::steady_clock::now();
      const auto again = tok.encode(text, false);
      best = std::min(best, seconds_since(t0));
      if (again != ids) {
        std::fprintf(stderr, "run %d gave different ids\n", run);
        return 1;
      }
    }
    t0 = std::chrono::steady_clock::now();
    const std::string back = tok.decode(ids);
    const double t_decode = seconds_since(t0);

    std::printf("input %.3f MB, %zu tokens (%.2f bytes/token), round trip %s\n", mb, ids.size(),
                static_cast<double>(text.size()) / static_cast<double>(std::max<std::size_t>(ids.size(), 1)),
                back == text ? "exact" : "DIFFERS");
    std::printf("encode, cold cache: %.1f MB/s\n", mb / t_cold);
    std::printf("encode, warm cache (best of 5): %.1f MB/s\n", mb / best);
    std::printf("decode: %.1f MB/s\n", mb / t_decode);
    return back == text ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
