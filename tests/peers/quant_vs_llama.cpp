// tests/peers/quant_vs_llama.cpp — qvk's quantizers against llama.cpp's, on the same f32 weights.
//
//   qvk_quant_vs_llama compare ORIGINAL_F32.gguf LLAMA_QUANTIZED.gguf... [--require T,T,...]
//     For every tensor of each llama.cpp-quantized file whose type is F32/F16/Q8_0/Q4_0/Q4_K/
//     Q5_K/Q6_K, quantize the f32 original with qvk's quantizer of the same type and compare:
//     blocks byte-identical, and the RMS round-trip error (dequantized vs original) of ours and
//     of llama.cpp's. A (tensor, type) pair met in several files is counted once. Passes when
//     F32/F16/Q8_0/Q4_0 blocks are all identical (those quantizers are exact functions of the
//     input with one rounding rule, so any difference is a bug) and, per K-quant type, our RMS
//     error is no worse than llama.cpp's (×(1 + 1e-6)): the K-quant scale search is a heuristic
//     where a different but at least as good choice is acceptable. Every type in --require must
//     have been compared (no vacuous pass).
//
//   qvk_quant_vs_llama recipe OURS.gguf LLAMA.gguf
//     Passes when both files hold the same tensor names with the same types (our quant mix
//     against llama.cpp's recipe for the same ftype); prints every difference. Also prints, for
//     information, how many tensors are byte-identical (they are when OURS was written from
//     the same weights that LLAMA was quantized from).
//
// Exit codes: 0 pass, 1 assertion failed, 2 bad usage or unreadable input.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "qvk/gguf/file.hpp"
#include "qvk/quant/row.hpp"
#include "qvk/quant/type.hpp"

namespace {

using qvk::gguf::File;
using qvk::gguf::TensorInfo;
using qvk::quant::Type;

constexpr Type kCompared[] = {Type::F32, Type::F16, Type::Q8_0, Type::Q4_0, Type::Q4_K, Type::Q5_K, Type::Q6_K};
constexpr double kKQuantSlack = 1e-6;

bool is_exact_type(Type t) { return t == Type::F32 || t == Type::F16 || t == Type::Q8_0 || t == Type::Q4_0; }

struct Stats {
  std::uint64_t blocks = 0;
  std::uint64_t identical = 0;
  std::uint64_t elements = 0;
  double ours_sq = 0;   // Σ (ours dequantized − original)²
  double llama_sq = 0;  // Σ (llama dequantized − original)²
  std::set<std::string> tensors;
  double ours_rms() const { return elements ? std::sqrt(ours_sq / static_cast<double>(elements)) : 0; }
  double llama_rms() const { return elements ? std::sqrt(llama_sq / static_cast<double>(elements)) : 0; }
};

struct Usage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Rows [begin, end) of one tensor into `s`.
void compare_rows(const TensorInfo& lt, std::span<const std::byte> src_all, std::span<const std::byte> theirs_all,
                  std::size_t begin, std::size_t end, Stats& s) {
  const auto info = qvk::quant::info(lt.type);
  const std::size_t row = lt.dims[0];
  const std::size_t row_bytes = qvk::quant::row_bytes(lt.type, row);
  std::vector<float> src(row), deq(row);
  std::vector<std::byte> ours(row_bytes);
  for (std::size_t r = begin; r < end; ++r) {
    std::memcpy(src.data(), src_all.data() + r * row * sizeof(float), row * sizeof(float));
    const std::span<const std::byte> theirs = theirs_all.subspan(r * row_bytes, row_bytes);
    qvk::quant::quantize_row(lt.type, src, ours);
    for (std::size_t b = 0; b < row_bytes; b += info.block_bytes)
      s.identical += std::memcmp(ours.data() + b, theirs.data() + b, info.block_bytes) == 0;
    s.blocks += row_bytes / info.block_bytes;
    qvk::quant::dequantize_row(lt.type, ours, deq);
    for (std::size_t i = 0; i < row; ++i) s.ours_sq += static_cast<double>(deq[i] - src[i]) * (deq[i] - src[i]);
    qvk::quant::dequantize_row(lt.type, theirs, deq);
    for (std::size_t i = 0; i < row; ++i) s.llama_sq += static_cast<double>(deq[i] - src[i]) * (deq[i] - src[i]);
  }
  s.elements += (end - begin) * row;
}

// Two threads over contiguous row ranges, summed in range order: the same numbers every run.
void compare_tensor(const File& original, const TensorInfo& lt, const File& llama, Stats& s) {
  const TensorInfo* ot = original.tensor(lt.name);
  if (ot == nullptr) throw Usage("tensor '" + lt.name + "' of " + llama.path() + " is not in " + original.path());
  if (ot->type != Type::F32) throw Usage("tensor '" + lt.name + "' of " + original.path() + " is not F32");
  if (ot->dims != lt.dims)
    throw Usage("tensor '" + lt.name + "' has shape " + ot->shape_string() + " in " + original.path() + " but " +
                lt.shape_string() + " in " + llama.path());
  const std::size_t rows = lt.n_elements / lt.dims[0];
  const std::size_t half = rows / 2;
  Stats a, b;
  std::exception_ptr failure;
  std::thread worker([&] {
    try {
      compare_rows(lt, original.data(*ot), llama.data(lt), half, rows, b);
    } catch (...) {
      failure = std::current_exception();
    }
  });
  compare_rows(lt, original.data(*ot), llama.data(lt), 0, half, a);
  worker.join();
  if (failure) std::rethrow_exception(failure);
  for (const Stats* part : {&a, &b}) {
    s.blocks += part->blocks;
    s.identical += part->identical;
    s.elements += part->elements;
    s.ours_sq += part->ours_sq;
    s.llama_sq += part->llama_sq;
  }
  s.tensors.insert(lt.name);
}

std::vector<Type> parse_types(const std::string& list) {
  std::vector<Type> out;
  std::size_t at = 0;
  while (at <= list.size()) {
    const std::size_t comma = std::min(list.find(',', at), list.size());
    const std::string name = list.substr(at, comma - at);
    const auto t = qvk::quant::type_from_name(name);
    if (!t) throw Usage("unknown type '" + name + "' in --require");
    out.push_back(*t);
    at = comma + 1;
  }
  return out;
}

int compare(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  std::vector<Type> required;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--require") {
      if (i + 1 >= args.size()) throw Usage("--require needs a list of types");
      required = parse_types(args[++i]);
    } else {
      files.push_back(args[i]);
    }
  }
  if (files.size() < 2) throw Usage("compare needs ORIGINAL_F32 and at least one llama.cpp-quantized file");

  const File original = File::open(files[0]);
  std::map<Type, Stats> stats;
  std::set<std::pair<std::string, Type>> seen;
  for (std::size_t f = 1; f < files.size(); ++f) {
    const File llama = File::open(files[f]);
    for (const TensorInfo& t : llama.tensors()) {
      if (std::find(std::begin(kCompared), std::end(kCompared), t.type) == std::end(kCompared)) {
        std::printf("note: %s: tensor '%s' is %s, not compared\n", files[f].c_str(), t.name.c_str(),
                    std::string(qvk::quant::name(t.type)).c_str());
        continue;
      }
      if (!seen.insert({t.name, t.type}).second) continue;
      compare_tensor(original, t, llama, stats[t.type]);
    }
  }

  bool ok = true;
  std::printf("\n%-5s %8s %10s %11s %14s %14s %10s  %s\n", "type", "tensors", "blocks", "identical", "ours_rms",
              "llama_rms", "ours/llama", "verdict");
  for (Type t : kCompared) {
    auto it = stats.find(t);
    if (it == stats.end()) continue;
    const Stats& s = it->second;
    const double frac = s.blocks ? static_cast<double>(s.identical) / static_cast<double>(s.blocks) : 0;
    const double ratio = s.llama_rms() > 0 ? s.ours_rms() / s.llama_rms() : (s.ours_rms() == 0 ? 1.0 : INFINITY);
    bool pass;
    const char* rule;
    if (is_exact_type(t)) {
      pass = s.identical == s.blocks;
      rule = "must be identical";
    } else {
      pass = s.ours_sq <= s.llama_sq * (1 + kKQuantSlack) * (1 + kKQuantSlack);
      rule = "ours_rms <= llama_rms*(1+1e-6)";
    }
    ok = ok && pass;
    std::printf("%-5s %8zu %10llu %10.4f%% %14.8g %14.8g %10.7f  %s (%s)\n", std::string(qvk::quant::name(t)).c_str(),
                s.tensors.size(), static_cast<unsigned long long>(s.blocks), 100.0 * frac, s.ours_rms(), s.llama_rms(),
                ratio, pass ? "PASS" : "FAIL", rule);
  }
  for (Type t : required) {
    if (stats.count(t) == 0 || stats[t].blocks == 0) {
      std::printf("FAIL: no %s tensor was compared (required)\n", std::string(qvk::quant::name(t)).c_str());
      ok = false;
    }
  }
  std::printf("%s\n", ok ? "quant_vs_llama: PASS" : "quant_vs_llama: FAIL");
  return ok ? 0 : 1;
}

int recipe(const std::vector<std::string>& args) {
  if (args.size() != 2) throw Usage("recipe needs OURS and LLAMA");
  const File ours = File::open(args[0]);
  const File llama = File::open(args[1]);
  int differences = 0;
  int same_bytes = 0;  // information only: the recipe check is about types
  std::map<std::string, int> type_counts;
  for (const TensorInfo& t : ours.tensors()) {
    const TensorInfo* l = llama.tensor(t.name);
    if (l == nullptr) {
      std::printf("recipe: '%s' (%s) is only in ours\n", t.name.c_str(), std::string(qvk::quant::name(t.type)).c_str());
      ++differences;
    } else if (l->type != t.type) {
      std::printf("recipe: '%s': ours %s, llama.cpp %s\n", t.name.c_str(), std::string(qvk::quant::name(t.type)).c_str(),
                  std::string(qvk::quant::name(l->type)).c_str());
      ++differences;
    } else {
      ++type_counts[std::string(qvk::quant::name(t.type))];
      const auto a = ours.data(t), b = llama.data(*l);
      same_bytes += a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
    }
  }
  for (const TensorInfo& l : llama.tensors()) {
    if (ours.tensor(l.name) == nullptr) {
      std::printf("recipe: '%s' (%s) is only in llama.cpp's\n", l.name.c_str(), std::string(qvk::quant::name(l.type)).c_str());
      ++differences;
    }
  }
  std::string agreed;
  for (const auto& [name, n] : type_counts) agreed += (agreed.empty() ? "" : ", ") + std::to_string(n) + " " + name;
  std::printf("recipe: %zu tensors in ours, %zu in llama.cpp's; same type: %s; differences: %d -> %s\n",
              ours.tensors().size(), llama.tensors().size(), agreed.c_str(), differences, differences ? "FAIL" : "PASS");
  std::printf("recipe: (info) %d of %zu tensors are byte-identical to llama.cpp's quantization\n", same_bytes,
              ours.tensors().size());
  return differences ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> words(argv + 1, argv + argc);
  try {
    if (!words.empty() && words[0] == "compare") return compare({words.begin() + 1, words.end()});
    if (!words.empty() && words[0] == "recipe") return recipe({words.begin() + 1, words.end()});
    throw Usage("usage: qvk_quant_vs_llama compare ORIGINAL_F32 LLAMA... [--require T,...] | recipe OURS LLAMA");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qvk_quant_vs_llama: error: %s\n", e.what());
    return 2;
  }
}
