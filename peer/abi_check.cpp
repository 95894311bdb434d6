// peer/abi_check.cpp — see abi_check.hpp for what is checked and why it is meaningful.
#include "abi_check.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "llama.h"
#include "llama_source_defaults.hpp"  // generated

namespace qvk::peer {
namespace {

constexpr unsigned char kCanary = 0xA5;
constexpr std::size_t kSlack = 256;  // bytes past sizeof(T) that must stay untouched

template <class T>
struct Canaried {
  alignas(64) unsigned char bytes[sizeof(T) + kSlack];
  Canaried() { std::memset(bytes, kCanary, sizeof bytes); }
  T value() const {
    T t;
    std::memcpy(static_cast<void*>(&t), bytes, sizeof(T));
    return t;
  }
  bool slack_untouched() const {
    for (std::size_t i = sizeof(T); i < sizeof bytes; ++i)
      if (bytes[i] != kCanary) return false;
    return true;
  }
};

std::string hex(const void* p, std::size_t n) {
  std::string s;
  char b[4];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(b, sizeof b, "%02x", static_cast<const unsigned char*>(p)[i]);
    s += b;
  }
  return s;
}

#if defined(__x86_64__) && defined(__linux__)
constexpr bool kHiddenPointerAbi = true;
#else
constexpr bool kHiddenPointerAbi = false;
#endif

// Calls a `T f(Args...)` with the result written into `out` (see abi_check.hpp, step 1).
template <class T, class... Args>
void call_into(Canaried<T>& out, T (*f)(Args...), Args... args) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) > 16,
                "only MEMORY-class structs are returned through a hidden pointer");
  if constexpr (kHiddenPointerAbi) {
    // SysV x86-64: the caller passes the result address in %rdi, then the arguments.
    auto raw = reinterpret_cast<void (*)(void*, Args...)>(reinterpret_cast<void*>(f));
    raw(out.bytes, args...);
  } else {
    T t = f(args...);
    std::memcpy(out.bytes, static_cast<const void*>(&t), sizeof(T));
  }
}

template <class T>
void compare_defaults(const char* what, T (*library_default)(), T (*source_default)(), std::string& report) {
  Canaried<T> lib;
  call_into(lib, library_default);
  if (!lib.slack_untouched())
    report += std::string(what) + ": the library wrote past sizeof(" + what + ") = " +
              std::to_string(sizeof(T)) + " bytes of our header (its struct is larger)\n";
  const T got = lib.value();
  const T want = source_default();
  const auto got_fields = source_defaults::fields(got);
  const auto want_fields = source_defaults::fields(want);
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    auto one = [&](std::size_t i, const auto& g, const auto& w) {
      static_assert(std::is_same_v<decltype(g), decltype(w)>);
      if (std::memcmp(&g, &w, sizeof g) != 0) {
        const auto offset = reinterpret_cast<const unsigned char*>(&g) - reinterpret_cast<const unsigned char*>(&got);
        report += std::string(what) + " field #" + std::to_string(i) + " (offset " + std::to_string(offset) +
                  ", " + std::to_string(sizeof g) + " bytes): library gives 0x" + hex(&g, sizeof g) +
                  ", llama.cpp source default is 0x" + hex(&w, sizeof w) + "\n";
      }
    };
    (one(I, std::get<I>(got_fields), std::get<I>(want_fields)), ...);
  }(std::make_index_sequence<std::tuple_size_v<std::remove_cvref_t<decltype(got_fields)>>>{});
}

void check_batch(std::string& report) {
  Canaried<llama_batch> raw;
  call_into(raw, &llama_batch_init, std::int32_t{3}, std::int32_t{0}, std::int32_t{1});
  if (!raw.slack_untouched()) {
    // Its pointers cannot be trusted to free; leak the few bytes rather than crash.
    report += "llama_batch: llama_batch_init wrote past sizeof(llama_batch) of our header\n";
    return;
  }
  const llama_batch b = raw.value();
  const bool ok = b.n_tokens == 0 && b.embd == nullptr && b.token && b.pos && b.n_seq_id && b.seq_id && b.logits;
  if (!ok) {
    report += "llama_batch: llama_batch_init(3, 0, 1) returned 0x" + hex(raw.bytes, sizeof(llama_batch)) +
              "; expected n_tokens 0, embd null and token/pos/n_seq_id/seq_id/logits set\n";
    return;
  }
  llama_batch_free(b);
}

}  // namespace

std::string check_abi() {
  std::string report;
  static_assert(source_defaults::k_model_fields > 0 && source_defaults::k_context_fields > 0 &&
                source_defaults::k_quantize_fields > 0);
  compare_defaults("llama_model_params", &llama_model_default_params, &source_defaults::model, report);
  compare_defaults("llama_context_params", &llama_context_default_params, &source_defaults::context, report);
  compare_defaults("llama_model_quantize_params", &llama_model_quantize_default_params,
                   &source_defaults::quantize, report);
  check_batch(report);
  const std::string version = llama_version();
  const std::string base = QVK_PEER_LLAMA_VERSION_BASE;
  if (version.rfind(base, 0) != 0)
    report += "llama_version(): library is '" + version + "', the source we compile against is " + base + "\n";
  return report;
}

}  // namespace qvk::peer
