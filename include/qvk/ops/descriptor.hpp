// qvk/ops/descriptor.hpp — the vocabulary every op descriptor is written in.
//
// An op descriptor (e.g. ops::RmsNorm) is plain constexpr data: which SPIR-V
// variant it runs, its specialization constants, its push-constant fields,
// its bindings and its dispatch geometry. These small types let the shader
// generator (tools/shadergen), the Vulkan recorder (qvk/vk/record.hpp) and the
// tests read that data without Vulkan types and without repeating it.
#pragma once

#include <cstdint>
#include <string_view>

namespace qvk::ops {

// Scalar types that may appear in push constants and storage buffers
// (U32x4, a uvec4, only in storage buffers: 16-byte loads for streaming kernels).
enum class Scalar : std::uint8_t { U32, I32, F32, U32x4 };

inline constexpr std::string_view glsl_name(Scalar s) {
  switch (s) {
    case Scalar::U32: return "uint";
    case Scalar::I32: return "int";
    case Scalar::F32: return "float";
    case Scalar::U32x4: return "uvec4";
  }
  return "?";
}

// Bytes of one element (a binding's size is elements(problem)[i] · this).
inline constexpr std::uint32_t scalar_bytes(Scalar s) { return s == Scalar::U32x4 ? 16 : 4; }

// One specialization constant: GLSL name (UPPER_SNAKE), constant_id, value.
// By convention the one named WORKGROUP_SIZE is also the local_size_x_id.
struct SpecConstant {
  std::string_view name;
  std::uint32_t id;
  std::uint32_t value;
};

// One field of the push-constant block, in declaration order. `offset` is
// checked against offsetof() by the descriptor's static_asserts.
struct PushField {
  std::string_view name;
  Scalar type;
  std::uint32_t offset;
};

enum class Access : std::uint8_t { ReadOnly, WriteOnly, ReadWrite };

// One storage-buffer binding of descriptor set 0: GLSL array name, binding
// index, access, element type. Bindings are listed in index order 0..N-1.
struct Binding {
  std::string_view name;
  std::uint32_t index;
  Access access;
  Scalar element;
};

// A preprocessor define of the variant (types and structure, never sizes).
struct Define {
  std::string_view name;
  int value;
};

// Workgroup counts of one dispatch.
struct Groups {
  std::uint32_t x = 1, y = 1, z = 1;
  friend constexpr bool operator==(const Groups&, const Groups&) = default;
};

}  // namespace qvk::ops
