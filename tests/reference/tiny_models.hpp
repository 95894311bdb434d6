// tests/reference/tiny_models.hpp — small synthetic models for reference tests,
// written once per test binary run with the same writer as qvk_make_model.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/model_writer.hpp"
#include "qvk/model/presets.hpp"

namespace qvk::test {

// A 2-layer tiny model of the given arch/mix/tying, cached under the build tree.
inline std::filesystem::path tiny_model(model::Arch arch, const std::string& mix, bool tied, std::uint32_t layers = 2) {
  const auto dir = std::filesystem::path(QVK_BINARY_DIR) / "tests" / "reference" / "models";
  std::filesystem::create_directories(dir);
  const auto path = dir / (std::string(model::arch_name(arch)) + "_" + mix + (tied ? "_tied" : "_untied") + "_L" +
                           std::to_string(layers) + ".gguf");
  if (std::filesystem::exists(path)) return path;
  model::Config c = *model::find_preset(arch, "tiny");
  c.tied_embeddings = tied;
  c.layers = layers;
  tools::WriteOptions o{c, *model::find_mix(mix), "tiny", 1, tools::default_vocab(), 2, false};
  // ctest runs test cases as parallel processes that may want the same model: each
  // writes its own file (the pid in the name), then renames it into place (atomic;
  // a concurrent writer's identical file may be replaced, never torn).
  const auto own = dir / (path.filename().string() + "." + std::to_string(::getpid()));
  tools::write_model(own, o);
  std::filesystem::rename(own, path);
  return path;
}

}  // namespace qvk::test
