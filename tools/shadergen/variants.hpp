// tools/shadergen/variants.hpp — every SPIR-V variant qvk builds, with the
// descriptor its prelude comes from. shaders/CMakeLists.txt names the same
// variants (the build fails if the two lists differ: see `registry`).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "prelude.hpp"
#include "qvk/ops/rmsnorm.hpp"

namespace qvk::shadergen {

struct Variant {
  std::string_view name;
  std::string_view source;  // shaders/<file>
  std::string (*prelude)();
};

// Any instantiation gives the same prelude up to the default values of the
// specialization constants, which the recorder always overrides.
inline constexpr std::array kVariants{
    Variant{ops::RmsNorm<64, false>::kVariant, ops::RmsNorm<64, false>::kSource, &prelude<ops::RmsNorm<64, false>>},
    Variant{ops::RmsNorm<64, true>::kVariant, ops::RmsNorm<64, true>::kSource, &prelude<ops::RmsNorm<64, true>>},
};

}  // namespace qvk::shadergen
