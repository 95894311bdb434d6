// qvk_inspect — validates a GGUF file and its Qwen model config, then prints
// the architecture, config, tokenizer summary and a tensor table (or one JSON
// object with --json). On a bad file: the error on stderr, exit status 1.
#include <cstdio>
#include <string>

#include "common/args.hpp"
#include "common/guarded_main.hpp"
#include "common/json.hpp"
#include "qvk/gguf/file.hpp"
#include "qvk/model/model_file.hpp"

namespace {

using namespace qvk;
using tools::json_number;
using tools::json_string;

constexpr const char* kUsage = R"(usage: qvk_inspect [--json] [--container-only] FILE

Validates FILE as GGUF (structure, tensor table, offsets) and as a Qwen model
(architecture, config, every tensor's presence, shape and type, tokenizer
metadata), then prints a summary and the tensor table.

  --json             one JSON object on stdout instead of text
  --container-only   check only the GGUF container (e.g. vocab-only files)
  -h, --help         this text

Exit status: 0 valid, 1 invalid file (reason on stderr), 2 bad usage.
)";

std::string value_json(const gguf::Value& v) {
  using gguf::ValueType;
  switch (v.type) {
    case ValueType::STRING: return json_string(v.s);
    case ValueType::BOOL: return v.u ? "true" : "false";
    case ValueType::FLOAT32: return tools::json_number_f32(static_cast<float>(v.f));
    case ValueType::FLOAT64: return json_number(v.f);
    case ValueType::INT8: case ValueType::INT16: case ValueType::INT32: case ValueType::INT64: return std::to_string(v.i);
    case ValueType::ARRAY: {
      if (v.items.size() > 16) return json_string(v.describe());  // summarized: vocabularies are huge
      std::string o = "[";
      for (std::size_t i = 0; i < v.items.size(); ++i) o += (i ? "," : "") + value_json(v.items[i]);
      return o + "]";
    }
    default: return std::to_string(v.u);
  }
}

std::string value_text(const gguf::Value& v) {
  if (v.type == gguf::ValueType::STRING) {
    std::string s = v.s.size() > 60 ? v.s.substr(0, 57) + "..." : v.s;
    for (char& ch : s)
      if (ch == '\n') ch = ' ';
    return "\"" + s + "\"";
  }
  if (v.type == gguf::ValueType::ARRAY && v.items.size() <= 8) return value_json(v);
  if (v.type == gguf::ValueType::ARRAY) return v.describe();
  return value_json(v);
}

std::string shape_json(const std::vector<std::uint64_t>& d) {
  std::string o = "[";
  for (std::size_t i = 0; i < d.size(); ++i) o += (i ? "," : "") + std::to_string(d[i]);
  return o + "]";
}

std::string rope_scaling_name(model::RopeScalingType t) {
  return t == model::RopeScalingType::Yarn ? "yarn" : t == model::RopeScalingType::Linear ? "linear" : "none";
}

void print_json(const gguf::File& f, const model::Config* c, const model::VocabInfo* v) {
  std::string o = "{";
  o += "\"file\":" + json_string(f.path()) + ",\"version\":" + std::to_string(f.version()) +
       ",\"alignment\":" + std::to_string(f.alignment()) + ",\"file_size\":" + std::to_string(f.file_size());
  const gguf::Value* arch = f.find("general.architecture");
  o += ",\"architecture\":" + (arch && arch->as_string() ? json_string(*arch->as_string()) : std::string("null"));
  if (c) {
    o += ",\"config\":{\"arch\":" + json_string(model::arch_name(c->arch)) + ",\"hidden\":" + std::to_string(c->hidden) +
         ",\"layers\":" + std::to_string(c->layers) + ",\"heads\":" + std::to_string(c->heads) +
         ",\"kv_heads\":" + std::to_string(c->kv_heads) + ",\"head_dim\":" + std::to_string(c->head_dim) +
         ",\"ffn\":" + std::to_string(c->ffn) + ",\"vocab\":" + std::to_string(c->vocab) +
         ",\"rms_eps\":" + tools::json_number_f32(c->rms_eps) + ",\"rope_base\":" + tools::json_number_f32(c->rope_base) +
         ",\"rope_scaling\":{\"type\":" + json_string(rope_scaling_name(c->rope_scaling.type)) +
         ",\"factor\":" + tools::json_number_f32(c->rope_scaling.factor) +
         ",\"original_context\":" + std::to_string(c->rope_scaling.original_context) + "}" +
         ",\"context_length\":" + std::to_string(c->context_length) +
         ",\"tied_embeddings\":" + (c->tied_embeddings ? "true" : "false") +
         ",\"qkv_bias\":" + (c->qkv_bias() ? "true" : "false") + ",\"qk_norm\":" + (c->qk_norm() ? "true" : "false") +
         "}";
  }
  if (v) {
    auto opt = [](const std::optional<std::uint32_t>& id) { return id ? std::to_string(*id) : std::string("null"); };
    o += ",\"tokenizer\":{\"model\":" + json_string(v->model) + ",\"pre\":" + json_string(v->pre) +
         ",\"tokens\":" + std::to_string(v->n_tokens) + ",\"merges\":" + std::to_string(v->n_merges) +
         ",\"bos\":" + opt(v->bos) + ",\"eos\":" + opt(v->eos) + ",\"pad\":" + opt(v->pad) +
         ",\"chat_template\":" + (v->has_chat_template ? "true" : "false") + "}";
  }
  o += ",\"metadata\":{";
  bool first = true;
  for (const auto& kv : f.metadata()) {
    o += (first ? "" : ",") + json_string(kv.key) + ":" + value_json(kv.value);
    first = false;
  }
  o += "},\"tensors\":[";
  for (std::size_t i = 0; i < f.tensors().size(); ++i) {
    const auto& t = f.tensors()[i];
    o += std::string(i ? "," : "") + "{\"name\":" + json_string(t.name) + ",\"type\":" +
         json_string(quant::name(t.type)) + ",\"shape\":" + shape_json(t.dims) + ",\"bytes\":" +
         std::to_string(t.n_bytes) + ",\"offset\":" + std::to_string(t.offset) + "}";
  }
  o += "]}\n";
  std::fputs(o.c_str(), stdout);
}

void print_text(const gguf::File& f, const model::Config* c, const model::VocabInfo* v) {
  std::printf("file        %s\n", f.path().c_str());
  std::printf("gguf        v%u, alignment %llu, %llu bytes, %zu keys, %zu tensors\n", f.version(),
              static_cast<unsigned long long>(f.alignment()), static_cast<unsigned long long>(f.file_size()),
              f.metadata().size(), f.tensors().size());
  if (c) {
    std::printf("arch        %s\n", std::string(model::arch_name(c->arch)).c_str());
    std::printf("config      hidden %u, layers %u, heads %u, kv heads %u, head dim %u, ffn %u, vocab %u\n", c->hidden,
                c->layers, c->heads, c->kv_heads, c->head_dim, c->ffn, c->vocab);
    std::printf("            rms eps %g, rope base %g, rope scaling %s", c->rms_eps, c->rope_base,
                rope_scaling_name(c->rope_scaling.type).c_str());
    if (c->rope_scaling.type != model::RopeScalingType::None)
      std::printf(" (factor %g, original context %u)", c->rope_scaling.factor, c->rope_scaling.original_context);
    std::printf(", context %u\n", c->context_length);
    std::printf("            %s LM head, %s\n", c->tied_embeddings ? "tied" : "untied",
                c->qkv_bias() ? "QKV bias" : "QK-norm");
  }
  if (v) {
    auto opt = [](const std::optional<std::uint32_t>& id) { return id ? std::to_string(*id) : std::string("-"); };
    std::printf("tokenizer   %s/%s, %llu tokens, %llu merges, bos %s, eos %s, pad %s, chat template %s\n",
                v->model.c_str(), v->pre.c_str(), static_cast<unsigned long long>(v->n_tokens),
                static_cast<unsigned long long>(v->n_merges), opt(v->bos).c_str(), opt(v->eos).c_str(),
                opt(v->pad).c_str(), v->has_chat_template ? "yes" : "no");
  }
  std::printf("\nmetadata\n");
  for (const auto& kv : f.metadata()) std::printf("  %-44s %s\n", kv.key.c_str(), value_text(kv.value).c_str());
  std::printf("\n  %-36s %-6s %-22s %14s %14s\n", "tensor", "type", "shape", "bytes", "offset");
  std::uint64_t total = 0;
  for (const auto& t : f.tensors()) {
    std::printf("  %-36s %-6s %-22s %14llu %14llu\n", t.name.c_str(), std::string(quant::name(t.type)).c_str(),
                t.shape_string().c_str(), static_cast<unsigned long long>(t.n_bytes),
                static_cast<unsigned long long>(t.offset));
    total += t.n_bytes;
  }
  std::printf("  %zu tensors, %.2f MB of tensor data\n", f.tensors().size(), static_cast<double>(total) / 1e6);
}

int run(int argc, char** argv) {
  tools::Args a(argc, argv, {}, {"--json", "--container-only", "--help"});
  if (a.has("--help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (a.positional().size() != 1) throw tools::UsageError("expected exactly one FILE (see --help)");
  const std::string path = a.positional()[0];
  if (a.has("--container-only")) {
    const gguf::File f = gguf::File::open(path);
    a.has("--json") ? print_json(f, nullptr, nullptr) : print_text(f, nullptr, nullptr);
  } else {
    const model::ModelFile m = model::open_model(path);
    a.has("--json") ? print_json(m.file, &m.config, &m.vocab) : print_text(m.file, &m.config, &m.vocab);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return qvk::tools::guarded_main("qvk_inspect", [&] { return run(argc, argv); });
}
