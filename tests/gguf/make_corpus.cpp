// qvk_gguf_corpus OUTDIR — writes the malformed GGUF corpus (corpus.hpp) into
// OUTDIR, plus OUTDIR/manifest.tsv with one line per file:
// "<file name>\t<substring the error message must contain>". Used to check
// that CLI tools (qvk_inspect) reject every file with a clear message.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "corpus.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: qvk_gguf_corpus OUTDIR\n";
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::cerr << "qvk_gguf_corpus: cannot create " << dir << ": " << ec.message() << "\n";
    return 1;
  }
  std::ofstream manifest(dir / "manifest.tsv", std::ios::trunc);
  const auto corpus = qvk::gguf::testing::malformed_corpus();
  for (const auto& c : corpus) {
    std::ofstream out(dir / c.name, std::ios::binary | std::ios::trunc);
    out.write(c.bytes.data(), static_cast<std::streamsize>(c.bytes.size()));
    manifest << c.name << '\t' << c.expected << '\n';
    if (!out) {
      std::cerr << "qvk_gguf_corpus: cannot write " << (dir / c.name) << "\n";
      return 1;
    }
  }
  if (!manifest.flush()) {
    std::cerr << "qvk_gguf_corpus: cannot write the manifest\n";
    return 1;
  }
  std::cout << "wrote " << corpus.size() << " malformed GGUF files and manifest.tsv to " << dir.string() << "\n";
  return 0;
}
