// qvk/runtime/eval_batch.hpp — the preconditions of one eval() call, shared by
// every interpreter of the forward schedule (ref::Forward, runtime::VkForward),
// so both reject the same inputs with the same message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

namespace qvk::runtime {

// Throws unless tokens is non-empty, positions pos0..pos0+T-1 fit the context
// of n_ctx, and every token id is in [0, vocab).
inline void check_eval_batch(std::span<const std::int32_t> tokens, std::uint32_t pos0, std::uint32_t n_ctx,
                             std::uint64_t vocab) {
  const std::size_t T = tokens.size();
  if (T == 0) throw std::invalid_argument("eval: no tokens");
  if (std::size_t(pos0) + T > n_ctx)
    throw std::out_of_range("eval: positions " + std::to_string(pos0) + ".." + std::to_string(pos0 + T - 1) +
                            " exceed the context of " + std::to_string(n_ctx));
  for (std::int32_t t : tokens)
    if (t < 0 || std::uint64_t(t) >= vocab)
      throw std::out_of_range("eval: token id " + std::to_string(t) + " outside the vocabulary of " +
                              std::to_string(vocab));
}

}  // namespace qvk::runtime
