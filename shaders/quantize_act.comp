#version 450
// shaders/quantize_act.comp — float activations -> Q8 activation blocks (32 or
// 256 elements) in the GPU layout of ops::ActLayout. The contract is the header
// comment of include/qvk/ops/quantize_act.hpp, i.e. quant::quantize_q8_act op for
// op; the prelude gives QVK_ACT_BLOCK, QVK_ACT_SWIGLU, WORKGROUP_SIZE,
// pc.{n, blocks}, the input (x, or g and u when QVK_ACT_SWIGLU) and act.
#extension GL_GOOGLE_include_directive : require

#include "prelude.glsl"
#include "numerics.glsl"
#if QVK_ACT_SWIGLU
#include "swiglu.glsl"
#endif

#define QVK_INV127 uintBitsToFloat(0x3c010204u)  // Q8Act32::kInv127, f32 nearest 1/127

const uint BLOCK = uint(QVK_ACT_BLOCK);
const uint QPB = BLOCK / 4u;               // threads (4 elements each) per block
const uint BPW = WORKGROUP_SIZE / QPB;     // blocks per workgroup
const uint SUMS = BLOCK / 32u;             // sums of 32 per block (1 or 8)

shared uint s_amax[BPW];  // max |x| bit pattern over the block (|x| <= FLT_MIN as 0)
shared uint s_bad[BPW];   // nonzero if the block holds ±inf or NaN
shared int s_sum32[BPW * SUMS];
#if QVK_ACT_BLOCK == 256
shared int s_sum16[BPW * 16u];
#endif

// round_half_away_int (q8_act.hpp): integer truncation of |v|, +1 if the rest >= 0.5.
int round_half_away(float v) {
  const uint bits = floatBitsToUint(v);
  const float a = uintBitsToFloat(bits & 0x7fffffffu);
  const int t = int(a);
  precise float rest = a - float(t);
  const int r = rest >= 0.5 ? t + 1 : t;
  return (bits >> 31) != 0u ? -r : r;
}

void main() {
  const uint t = gl_LocalInvocationID.x;
  const uint q = gl_WorkGroupID.x * WORKGROUP_SIZE + t;  // this thread's 4 elements: 4q … 4q+3
  const bool live = q < pc.n / 4u;
  const uint lb = t / QPB;                               // block within the workgroup
  for (uint i = t; i < BPW; i += WORKGROUP_SIZE) {
    s_amax[i] = 0u;
    s_bad[i] = 0u;
  }
  for (uint i = t; i < BPW * SUMS; i += WORKGROUP_SIZE) s_sum32[i] = 0;
#if QVK_ACT_BLOCK == 256
  for (uint i = t; i < BPW * 16u; i += WORKGROUP_SIZE) s_sum16[i] = 0;
#endif
  memoryBarrierShared();
  barrier();

  float xv[4] = float[4](0.0, 0.0, 0.0, 0.0);
  uint amax = 0u;
  bool bad = false;
  if (live)
    for (uint c = 0u; c < 4u; ++c) {
#if QVK_ACT_SWIGLU
      xv[c] = qvk_swiglu(g[4u * q + c], u[4u * q + c]);  // SwiGlu's out[i], never stored
#else
      xv[c] = x[4u * q + c];
#endif
      const uint mag = floatBitsToUint(xv[c]) & 0x7fffffffu;
      if (mag >= 0x7f800000u) bad = true;
      else if (mag > QVK_FLT_MIN_BITS && mag > amax) amax = mag;
    }
  atomicMax(s_amax[lb], amax);
  if (bad) atomicOr(s_bad[lb], 1u);
  memoryBarrierShared();
  barrier();

  uint d_bits = 0u, word = 0u;
  int sum4 = 0;
  if (s_bad[lb] != 0u) {
    d_bits = QVK_CANONICAL_NAN;  // codes and sums stay 0
  } else {
    precise float d = uintBitsToFloat(s_amax[lb]) * QVK_INV127;
    if (floatBitsToUint(d) > QVK_FLT_MIN_BITS) {  // else d = 0, codes 0
      d_bits = floatBitsToUint(d);
      const float inv = qvk_recip(d);
      for (uint c = 0u; c < 4u; ++c) {
        const float xi = (floatBitsToUint(xv[c]) & 0x7fffffffu) <= QVK_FLT_MIN_BITS ? 0.0 : xv[c];
        precise float v = xi * inv;
        const int code = clamp(round_half_away(v), -127, 127);
        word |= (uint(code) & 0xffu) << (8u * c);
        sum4 += code;
      }
    }
  }
  const uint qi = t % QPB;  // quad within the block
  atomicAdd(s_sum32[lb * SUMS + qi / 8u], sum4);
#if QVK_ACT_BLOCK == 256
  atomicAdd(s_sum16[lb * 16u + qi / 4u], sum4);
#endif
  memoryBarrierShared();
  barrier();

  if (!live) return;
  act[q] = word;
  if (qi == 0u) {
    const uint k = q / QPB, nb = pc.blocks, dw = pc.n / 4u;
    act[dw + k] = d_bits;
#if QVK_ACT_BLOCK == 32
    act[dw + nb + k] = uint(s_sum32[lb]);
#else
    for (uint j = 0u; j < 8u; ++j) act[dw + nb + 8u * k + j] = uint(s_sum32[lb * 8u + j]);
    for (uint g = 0u; g < 16u; ++g) act[dw + 9u * nb + 16u * k + g] = uint(s_sum16[lb * 16u + g]);
#endif
  }
}
