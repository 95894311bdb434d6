// tools/common/guarded_main.hpp — the one way qvk's programs turn exceptions
// into messages and exit codes: 2 for bad usage (the message names the flag),
// 1 for a bad file or a runtime failure (the message names the file and item).
// Nothing escapes as a crash.
#pragma once

#include <cstdio>
#include <exception>

#include "common/args.hpp"
#include "qvk/gguf/error.hpp"

namespace qvk::tools {

template <class Run>
int guarded_main(const char* program, Run&& run) {
  try {
    return run();
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 2;
  } catch (const gguf::Error& e) {
    std::fprintf(stderr, "%s: invalid file: %s\n", program, e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", program, e.what());
    return 1;
  }
}

}  // namespace qvk::tools
