// tools/common/model_writer.hpp — writes a synthetic Qwen GGUF: config
// metadata, the Qwen tokenizer, seeded weights in a quant mix. Shared by
// qvk_make_model and example_generate (which makes its default model on first
// run). Streaming: rows are generated and quantized in 16 MB chunks on all
// threads and appended, to PATH.partial, renamed to PATH when complete.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/progress.hpp"
#include "common/synth.hpp"
#include "qvk/gguf/file.hpp"
#include "qvk/gguf/writer.hpp"
#include "qvk/model/config_metadata.hpp"
#include "qvk/model/recipe.hpp"
#include "qvk/quant/row.hpp"

namespace qvk::tools {

struct WriteOptions {
  model::Config config;
  model::MixInfo mix;
  std::string preset;
  std::uint64_t seed = 1;
  std::filesystem::path vocab;
  unsigned threads = 1;
  bool progress = true;
};

namespace detail {

inline void add_metadata(gguf::Writer& w, const model::Config& c, const model::MixInfo& mix, const std::string& preset,
                  std::uint64_t seed, const gguf::File& vocab) {
  using gguf::Value;
  model::add_config_metadata(w, c);
  w.add_kv("general.type", Value::str("model"));
  w.add_kv("general.name", Value::str("qvk synthetic " + std::string(model::arch_name(c.arch)) + " " + preset + " " +
                                      std::string(mix.name) + " seed " + std::to_string(seed)));
  w.add_kv("general.file_type", Value::u32(mix.llama_ftype));
  if (model::is_quantized(mix.base)) w.add_kv("general.quantization_version", Value::u32(2));
  w.add_kv("qvk.generator.seed", Value::u64(seed));
  w.add_kv("qvk.generator.preset", Value::str(preset));
  for (const gguf::KeyValue& kv : vocab.metadata())
    if (kv.key.rfind("tokenizer.", 0) == 0) w.add_kv(kv.key, kv.value);
}

// Fills and quantizes rows [r0, r1) of one tensor into `out`.
inline void make_rows(const Synth& synth, quant::Type type, std::uint64_t row_len, std::uint64_t r0,
               std::uint64_t r1, std::byte* out, std::uint64_t row_bytes) {
  std::vector<float> row(row_len);
  for (std::uint64_t r = r0; r < r1; ++r) {
    for (std::uint64_t i = 0; i < row_len; ++i) row[i] = synth(r * row_len + i);
    quant::quantize_row(type, row, std::span<std::byte>(out + (r - r0) * row_bytes, row_bytes));
  }
}

}  // namespace detail

// The Qwen vocab GGUF that generated models take their tokenizer from:
// $QVK_VOCAB, else the installed copy, else the source tree's (paths compiled in).
inline std::filesystem::path default_vocab() {
  if (const char* env = std::getenv("QVK_VOCAB")) return env;
  for (const char* p : {QVK_VOCAB_INSTALLED, QVK_VOCAB_SOURCE})
    if (std::filesystem::exists(p)) return p;
  throw std::runtime_error(std::string("cannot find the Qwen vocab GGUF (looked for ") + QVK_VOCAB_INSTALLED + " and " +
                   QVK_VOCAB_SOURCE + "); pass --vocab FILE");
}

// Throws std::invalid_argument when the mix cannot apply to the shape (before
// writing anything), gguf::Error for a bad vocab file.
inline void write_model(const std::filesystem::path& out, const WriteOptions& o) {
  const model::Config& c = o.config;
  const gguf::File vocab = gguf::File::open(o.vocab);
  const auto specs = model::tensor_specs(c);
  std::vector<quant::Type> types;
  for (const auto& s : specs) types.push_back(model::tensor_type(o.mix.mix, s, c));

  const std::filesystem::path partial = out.string() + ".partial";
  gguf::Writer w(partial);
  detail::add_metadata(w, c, o.mix, o.preset, o.seed, vocab);
  for (std::size_t i = 0; i < specs.size(); ++i) w.add_tensor(specs[i].name, types[i], specs[i].dims);
  w.write_header();

  Progress progress("writing", w.total_bytes(), o.progress);
  std::uint64_t done = 0;
  std::vector<std::byte> buf;
  const unsigned threads = std::max(1u, o.threads);
  for (std::size_t ti = 0; ti < specs.size(); ++ti) {
    const auto& spec = specs[ti];
    const Synth synth = synth_for(spec, c, o.seed);
    const std::uint64_t row_len = spec.dims[0];
    std::uint64_t rows = 1;
    for (std::size_t d = 1; d < spec.dims.size(); ++d) rows *= spec.dims[d];
    const std::uint64_t row_bytes = quant::row_bytes(types[ti], row_len);
    const std::uint64_t chunk_rows = std::max<std::uint64_t>(1, (16u << 20) / row_bytes);
    for (std::uint64_t r0 = 0; r0 < rows; r0 += chunk_rows) {
      const std::uint64_t r1 = std::min(rows, r0 + chunk_rows);
      buf.resize((r1 - r0) * row_bytes);
      const std::uint64_t per = (r1 - r0 + threads - 1) / threads;
      std::vector<std::thread> pool;
      for (std::uint64_t t0 = r0; t0 < r1; t0 += per) {
        const std::uint64_t t1 = std::min(r1, t0 + per);
        pool.emplace_back(detail::make_rows, std::cref(synth), types[ti], row_len, t0, t1,
                          buf.data() + (t0 - r0) * row_bytes, row_bytes);
      }
      for (auto& th : pool) th.join();
      w.write_data(buf);
      done += buf.size();
      progress.update(done);
    }
  }
  w.finish();
  std::filesystem::rename(partial, out);
}

}  // namespace qvk::tools
