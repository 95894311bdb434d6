// peer/abi_check.hpp — does the llama.h we compile against describe the prebuilt library?
//
// llama_peer is compiled against the headers of the llama.cpp source clone and linked
// against libraries that node-llama-cpp prebuilt. If those came from different commits, a
// struct passed by value (llama_model_params, llama_context_params, llama_batch, ...) can
// have a different layout on each side and every call silently misbehaves. The check:
//
//  1. Each `llama_*_default_params()` is called so that it writes into a buffer larger than
//     the header's sizeof(T), prefilled with a canary byte (on x86-64 a struct this large is
//     returned through a hidden pointer in %rdi, so the function is called as
//     `void(void*)` with our buffer; elsewhere the canary part is skipped). A library struct
//     larger than the header's overwrites the canary past sizeof(T); a smaller one leaves
//     canary bytes in the header's last fields.
//  2. Every field, read at the header's offset, must equal the default that llama.cpp's own
//     source gives it (extracted positionally from src/*.cpp at configure time and compiled
//     against the same header, see peer/extract_defaults.cmake). The defaults are varied
//     (pointers, -1, 512, 2048, 4, float -1.0f, GGML_TYPE_F16, GGML_TYPE_COUNT, 8 GiB, runs
//     of true/false), so an inserted, removed, reordered or resized field shifts some value
//     onto a field where it does not belong. The field count is checked at compile time.
//  3. llama_batch_init (a by-value struct that llama_decode takes) must return n_tokens 0,
//     embd null and the five other pointers set, without touching the canary.
//  4. llama_version() must start with LLAMA_VERSION_BASE from the source's CMakeLists.txt.
// What it cannot see: a field renamed or retyped to the same size with the same default —
// neither changes how the library reads the struct, so neither breaks the calls.
#pragma once

#include <string>

namespace qvk::peer {

// Empty when everything matches; otherwise one line per mismatch.
std::string check_abi();

}  // namespace qvk::peer
