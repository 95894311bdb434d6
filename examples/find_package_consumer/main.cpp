// Opens a GGUF through the installed qvk headers and prints its tokenizer size.
#include <cstdio>

#include <qvk/gguf/file.hpp>
#include <qvk/quant/type.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: qvk_consumer FILE.gguf\n");
    return 2;
  }
  try {
    const auto f = qvk::gguf::File::open(argv[1]);
    const auto* tokens = f.find("tokenizer.ggml.tokens");
    const std::size_t n = tokens && tokens->as_array() ? tokens->as_array()->size() : 0;
    std::printf("qvk_consumer: %s: GGUF v%u, %zu keys, %zu tokens, Q4_K blocks are %u bytes\n", argv[1], f.version(),
                f.metadata().size(), n, qvk::quant::info(qvk::quant::Type::Q4_K).block_bytes);
    return n > 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qvk_consumer: %s\n", e.what());
    return 1;
  }
}
