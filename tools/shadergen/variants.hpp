// tools/shadergen/variants.hpp — every SPIR-V variant qvk builds, with the
// descriptor its prelude comes from. shaders/CMakeLists.txt names the same
// variants (the build fails if the two lists differ: see `registry`).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "prelude.hpp"
#include "qvk/ops/rmsnorm.hpp"
#include "qvk/ops/gemv.hpp"
#include "qvk/ops/gemm.hpp"
#include "qvk/ops/quantize_act.hpp"
#include "qvk/ops/embed_row.hpp"
#include "qvk/ops/read_probe.hpp"
#include "qvk/ops/numerics_probe.hpp"
#include "qvk/ops/add.hpp"
#include "qvk/ops/argmax.hpp"
#include "qvk/ops/kv_append.hpp"
#include "qvk/ops/rope.hpp"
#include "qvk/ops/swiglu.hpp"
#include "qvk/ops/topk.hpp"
#include "qvk/ops/sample.hpp"
#include "qvk/ops/attention.hpp"
#include "qvk/ops/attention_rows.hpp"

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
    Variant{ops::Gemv<quant::Type::F32>::kVariant, ops::Gemv<quant::Type::F32>::kSource, &prelude<ops::Gemv<quant::Type::F32>>},
    Variant{ops::Gemv<quant::Type::F16>::kVariant, ops::Gemv<quant::Type::F16>::kSource, &prelude<ops::Gemv<quant::Type::F16>>},
    Variant{ops::Gemv<quant::Type::BF16>::kVariant, ops::Gemv<quant::Type::BF16>::kSource, &prelude<ops::Gemv<quant::Type::BF16>>},
    Variant{ops::Gemv<quant::Type::Q8_0>::kVariant, ops::Gemv<quant::Type::Q8_0>::kSource, &prelude<ops::Gemv<quant::Type::Q8_0>>},
    Variant{ops::Gemv<quant::Type::Q4_0>::kVariant, ops::Gemv<quant::Type::Q4_0>::kSource, &prelude<ops::Gemv<quant::Type::Q4_0>>},
    Variant{ops::Gemv<quant::Type::Q4_K>::kVariant, ops::Gemv<quant::Type::Q4_K>::kSource, &prelude<ops::Gemv<quant::Type::Q4_K>>},
    Variant{ops::Gemv<quant::Type::Q5_K>::kVariant, ops::Gemv<quant::Type::Q5_K>::kSource, &prelude<ops::Gemv<quant::Type::Q5_K>>},
    Variant{ops::Gemv<quant::Type::Q6_K>::kVariant, ops::Gemv<quant::Type::Q6_K>::kSource, &prelude<ops::Gemv<quant::Type::Q6_K>>},
    Variant{ops::Gemv<quant::Type::Q8_0, ops::GemvConfig{256, 4, 4, 1, true}>::kVariant, ops::Gemv<quant::Type::Q8_0, ops::GemvConfig{256, 4, 4, 1, true}>::kSource, &prelude<ops::Gemv<quant::Type::Q8_0, ops::GemvConfig{256, 4, 4, 1, true}>>},
    Variant{ops::Gemv<quant::Type::Q4_0, ops::GemvConfig{256, 4, 4, 1, true}>::kVariant, ops::Gemv<quant::Type::Q4_0, ops::GemvConfig{256, 4, 4, 1, true}>::kSource, &prelude<ops::Gemv<quant::Type::Q4_0, ops::GemvConfig{256, 4, 4, 1, true}>>},
    Variant{ops::Gemv<quant::Type::Q4_K, ops::GemvConfig{256, 4, 4, 1, true}>::kVariant, ops::Gemv<quant::Type::Q4_K, ops::GemvConfig{256, 4, 4, 1, true}>::kSource, &prelude<ops::Gemv<quant::Type::Q4_K, ops::GemvConfig{256, 4, 4, 1, true}>>},
    Variant{ops::Gemv<quant::Type::Q5_K, ops::GemvConfig{256, 4, 4, 1, true}>::kVariant, ops::Gemv<quant::Type::Q5_K, ops::GemvConfig{256, 4, 4, 1, true}>::kSource, &prelude<ops::Gemv<quant::Type::Q5_K, ops::GemvConfig{256, 4, 4, 1, true}>>},
    Variant{ops::Gemv<quant::Type::Q6_K, ops::GemvConfig{256, 4, 4, 1, true}>::kVariant, ops::Gemv<quant::Type::Q6_K, ops::GemvConfig{256, 4, 4, 1, true}>::kSource, &prelude<ops::Gemv<quant::Type::Q6_K, ops::GemvConfig{256, 4, 4, 1, true}>>},
    Variant{ops::Gemm<quant::Type::F32>::kVariant, ops::Gemm<quant::Type::F32>::kSource, &prelude<ops::Gemm<quant::Type::F32>>},
    Variant{ops::Gemm<quant::Type::F16>::kVariant, ops::Gemm<quant::Type::F16>::kSource, &prelude<ops::Gemm<quant::Type::F16>>},
    Variant{ops::Gemm<quant::Type::BF16>::kVariant, ops::Gemm<quant::Type::BF16>::kSource, &prelude<ops::Gemm<quant::Type::BF16>>},
    Variant{ops::Gemm<quant::Type::Q8_0>::kVariant, ops::Gemm<quant::Type::Q8_0>::kSource, &prelude<ops::Gemm<quant::Type::Q8_0>>},
    Variant{ops::Gemm<quant::Type::Q4_0>::kVariant, ops::Gemm<quant::Type::Q4_0>::kSource, &prelude<ops::Gemm<quant::Type::Q4_0>>},
    Variant{ops::Gemm<quant::Type::Q4_K>::kVariant, ops::Gemm<quant::Type::Q4_K>::kSource, &prelude<ops::Gemm<quant::Type::Q4_K>>},
    Variant{ops::Gemm<quant::Type::Q5_K>::kVariant, ops::Gemm<quant::Type::Q5_K>::kSource, &prelude<ops::Gemm<quant::Type::Q5_K>>},
    Variant{ops::Gemm<quant::Type::Q6_K>::kVariant, ops::Gemm<quant::Type::Q6_K>::kSource, &prelude<ops::Gemm<quant::Type::Q6_K>>},
    Variant{ops::Gemm<quant::Type::Q8_0, ops::GemmConfig{.int_dot = true}>::kVariant, ops::Gemm<quant::Type::Q8_0, ops::GemmConfig{.int_dot = true}>::kSource, &prelude<ops::Gemm<quant::Type::Q8_0, ops::GemmConfig{.int_dot = true}>>},
    Variant{ops::Gemm<quant::Type::Q4_0, ops::GemmConfig{.int_dot = true}>::kVariant, ops::Gemm<quant::Type::Q4_0, ops::GemmConfig{.int_dot = true}>::kSource, &prelude<ops::Gemm<quant::Type::Q4_0, ops::GemmConfig{.int_dot = true}>>},
    Variant{ops::Gemm<quant::Type::Q4_K, ops::GemmConfig{.int_dot = true}>::kVariant, ops::Gemm<quant::Type::Q4_K, ops::GemmConfig{.int_dot = true}>::kSource, &prelude<ops::Gemm<quant::Type::Q4_K, ops::GemmConfig{.int_dot = true}>>},
    Variant{ops::Gemm<quant::Type::Q5_K, ops::GemmConfig{.int_dot = true}>::kVariant, ops::Gemm<quant::Type::Q5_K, ops::GemmConfig{.int_dot = true}>::kSource, &prelude<ops::Gemm<quant::Type::Q5_K, ops::GemmConfig{.int_dot = true}>>},
    Variant{ops::Gemm<quant::Type::Q6_K, ops::GemmConfig{.int_dot = true}>::kVariant, ops::Gemm<quant::Type::Q6_K, ops::GemmConfig{.int_dot = true}>::kSource, &prelude<ops::Gemm<quant::Type::Q6_K, ops::GemmConfig{.int_dot = true}>>},
    Variant{ops::Gemm<quant::Type::Q8_0, ops::kCoopmatGemm>::kVariant, ops::Gemm<quant::Type::Q8_0, ops::kCoopmatGemm>::kSource, &prelude<ops::Gemm<quant::Type::Q8_0, ops::kCoopmatGemm>>},
    Variant{ops::Gemm<quant::Type::Q4_0, ops::kCoopmatGemm>::kVariant, ops::Gemm<quant::Type::Q4_0, ops::kCoopmatGemm>::kSource, &prelude<ops::Gemm<quant::Type::Q4_0, ops::kCoopmatGemm>>},
    Variant{ops::Gemm<quant::Type::Q4_K, ops::kCoopmatGemm>::kVariant, ops::Gemm<quant::Type::Q4_K, ops::kCoopmatGemm>::kSource, &prelude<ops::Gemm<quant::Type::Q4_K, ops::kCoopmatGemm>>},
    Variant{ops::Gemm<quant::Type::Q5_K, ops::kCoopmatGemm>::kVariant, ops::Gemm<quant::Type::Q5_K, ops::kCoopmatGemm>::kSource, &prelude<ops::Gemm<quant::Type::Q5_K, ops::kCoopmatGemm>>},
    Variant{ops::Gemm<quant::Type::Q6_K, ops::kCoopmatGemm>::kVariant, ops::Gemm<quant::Type::Q6_K, ops::kCoopmatGemm>::kSource, &prelude<ops::Gemm<quant::Type::Q6_K, ops::kCoopmatGemm>>},
    Variant{ops::QuantizeAct<32>::kVariant, ops::QuantizeAct<32>::kSource, &prelude<ops::QuantizeAct<32>>},
    Variant{ops::QuantizeAct<256>::kVariant, ops::QuantizeAct<256>::kSource, &prelude<ops::QuantizeAct<256>>},
    Variant{ops::QuantizeAct<32, 64, ops::ActInput::SwiGlu>::kVariant, ops::QuantizeAct<32, 64, ops::ActInput::SwiGlu>::kSource, &prelude<ops::QuantizeAct<32, 64, ops::ActInput::SwiGlu>>},
    Variant{ops::QuantizeAct<256, 64, ops::ActInput::SwiGlu>::kVariant, ops::QuantizeAct<256, 64, ops::ActInput::SwiGlu>::kSource, &prelude<ops::QuantizeAct<256, 64, ops::ActInput::SwiGlu>>},
    Variant{ops::EmbedRow<quant::Type::F32>::kVariant, ops::EmbedRow<quant::Type::F32>::kSource, &prelude<ops::EmbedRow<quant::Type::F32>>},
    Variant{ops::EmbedRow<quant::Type::F32, 64, true>::kVariant, ops::EmbedRow<quant::Type::F32, 64, true>::kSource, &prelude<ops::EmbedRow<quant::Type::F32, 64, true>>},
    Variant{ops::EmbedRow<quant::Type::F16>::kVariant, ops::EmbedRow<quant::Type::F16>::kSource, &prelude<ops::EmbedRow<quant::Type::F16>>},
    Variant{ops::EmbedRow<quant::Type::F16, 64, true>::kVariant, ops::EmbedRow<quant::Type::F16, 64, true>::kSource, &prelude<ops::EmbedRow<quant::Type::F16, 64, true>>},
    Variant{ops::EmbedRow<quant::Type::BF16>::kVariant, ops::EmbedRow<quant::Type::BF16>::kSource, &prelude<ops::EmbedRow<quant::Type::BF16>>},
    Variant{ops::EmbedRow<quant::Type::BF16, 64, true>::kVariant, ops::EmbedRow<quant::Type::BF16, 64, true>::kSource, &prelude<ops::EmbedRow<quant::Type::BF16, 64, true>>},
    Variant{ops::EmbedRow<quant::Type::Q8_0>::kVariant, ops::EmbedRow<quant::Type::Q8_0>::kSource, &prelude<ops::EmbedRow<quant::Type::Q8_0>>},
    Variant{ops::EmbedRow<quant::Type::Q8_0, 64, true>::kVariant, ops::EmbedRow<quant::Type::Q8_0, 64, true>::kSource, &prelude<ops::EmbedRow<quant::Type::Q8_0, 64, true>>},
    Variant{ops::EmbedRow<quant::Type::Q4_0>::kVariant, ops::EmbedRow<quant::Type::Q4_0>::kSource, &prelude<ops::EmbedRow<quant::Type::Q4_0>>},
    Variant{ops::EmbedRow<quant::Type::Q4_0, 64, true>::kVariant, ops::EmbedRow<quant::Type::Q4_0, 64, true>::kSource, &prelude<ops::EmbedRow<quant::Type::Q4_0, 64, true>>},
    Variant{ops::EmbedRow<quant::Type::Q4_K>::kVariant, ops::EmbedRow<quant::Type::Q4_K>::kSource, &prelude<ops::EmbedRow<quant::Type::Q4_K>>},
    Variant{ops::EmbedRow<quant::Type::Q4_K, 64, true>::kVariant, ops::EmbedRow<quant::Type::Q4_K, 64, true>::kSource, &prelude<ops::EmbedRow<quant::Type::Q4_K, 64, true>>},
    Variant{ops::EmbedRow<quant::Type::Q5_K>::kVariant, ops::EmbedRow<quant::Type::Q5_K>::kSource, &prelude<ops::EmbedRow<quant::Type::Q5_K>>},
    Variant{ops::EmbedRow<quant::Type::Q5_K, 64, true>::kVariant, ops::EmbedRow<quant::Type::Q5_K, 64, true>::kSource, &prelude<ops::EmbedRow<quant::Type::Q5_K, 64, true>>},
    Variant{ops::EmbedRow<quant::Type::Q6_K>::kVariant, ops::EmbedRow<quant::Type::Q6_K>::kSource, &prelude<ops::EmbedRow<quant::Type::Q6_K>>},
    Variant{ops::EmbedRow<quant::Type::Q6_K, 64, true>::kVariant, ops::EmbedRow<quant::Type::Q6_K, 64, true>::kSource, &prelude<ops::EmbedRow<quant::Type::Q6_K, 64, true>>},
    Variant{ops::ReadProbe<>::kVariant, ops::ReadProbe<>::kSource, &prelude<ops::ReadProbe<>>},
    Variant{ops::NumericsProbe<64>::kVariant, ops::NumericsProbe<64>::kSource, &prelude<ops::NumericsProbe<64>>},
    Variant{ops::RopeNeox<64>::kVariant, ops::RopeNeox<64>::kSource, &prelude<ops::RopeNeox<64>>},
    Variant{ops::RopeNeox<64, ops::PositionFrom::Buffer>::kVariant, ops::RopeNeox<64, ops::PositionFrom::Buffer>::kSource, &prelude<ops::RopeNeox<64, ops::PositionFrom::Buffer>>},
    Variant{ops::KvAppend<64>::kVariant, ops::KvAppend<64>::kSource, &prelude<ops::KvAppend<64>>},
    Variant{ops::KvAppend<64, ops::PositionFrom::Buffer>::kVariant, ops::KvAppend<64, ops::PositionFrom::Buffer>::kSource, &prelude<ops::KvAppend<64, ops::PositionFrom::Buffer>>},
    Variant{ops::SwiGlu<64>::kVariant, ops::SwiGlu<64>::kSource, &prelude<ops::SwiGlu<64>>},
    Variant{ops::Add<64, true>::kVariant, ops::Add<64, true>::kSource, &prelude<ops::Add<64, true>>},
    Variant{ops::Add<64, false>::kVariant, ops::Add<64, false>::kSource, &prelude<ops::Add<64, false>>},
    Variant{ops::ArgmaxPartial<64>::kVariant, ops::ArgmaxPartial<64>::kSource, &prelude<ops::ArgmaxPartial<64>>},
    Variant{ops::ArgmaxFinal<64>::kVariant, ops::ArgmaxFinal<64>::kSource, &prelude<ops::ArgmaxFinal<64>>},
    Variant{ops::TopKPartial<64>::kVariant, ops::TopKPartial<64>::kSource, &prelude<ops::TopKPartial<64>>},
    Variant{ops::TopKMerge<64>::kVariant, ops::TopKMerge<64>::kSource, &prelude<ops::TopKMerge<64>>},
    Variant{ops::SampleCandidates<64>::kVariant, ops::SampleCandidates<64>::kSource, &prelude<ops::SampleCandidates<64>>},
    Variant{ops::AttentionChunks<128>::kVariant, ops::AttentionChunks<128>::kSource, &prelude<ops::AttentionChunks<128>>},
    Variant{ops::AttentionCombine<128>::kVariant, ops::AttentionCombine<128>::kSource, &prelude<ops::AttentionCombine<128>>},
    Variant{ops::AttentionChunks<128, 128, 8, ops::PositionFrom::Buffer>::kVariant, ops::AttentionChunks<128>::kSource,
            &prelude<ops::AttentionChunks<128, 128, 8, ops::PositionFrom::Buffer>>},
    Variant{ops::AttentionCombine<128, 128, ops::PositionFrom::Buffer>::kVariant, ops::AttentionCombine<128>::kSource,
            &prelude<ops::AttentionCombine<128, 128, ops::PositionFrom::Buffer>>},
    Variant{ops::AttentionRows<>::kVariant, ops::AttentionRows<>::kSource, &prelude<ops::AttentionRows<>>},
    Variant{ops::AttentionRows<ops::PositionFrom::Buffer>::kVariant, ops::AttentionRows<>::kSource,
            &prelude<ops::AttentionRows<ops::PositionFrom::Buffer>>},
};

}  // namespace qvk::shadergen
