// qvk/model/model_file.hpp — open a Qwen GGUF and validate it end to end:
// container (gguf::File), config, tensor presence/shapes/types, tokenizer
// metadata. After this returns, every later layer may trust the file.
#pragma once

#include <filesystem>

#include "qvk/gguf/file.hpp"
#include "qvk/model/check.hpp"
#include "qvk/model/config.hpp"
#include "qvk/model/vocab_info.hpp"

namespace qvk::model {

struct ModelFile {
  gguf::File file;
  Config config;
  VocabInfo vocab;
};

inline ModelFile open_model(const std::filesystem::path& path) {
  gguf::File f = gguf::File::open(path);
  Config c = read_config(f);
  check_tensors(f, c);
  VocabInfo v = read_vocab_info(f, c.vocab);
  return ModelFile{std::move(f), c, std::move(v)};
}

}  // namespace qvk::model
