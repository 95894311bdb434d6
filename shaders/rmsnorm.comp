#version 450
// shaders/rmsnorm.comp — RMSNorm of one row per workgroup, optionally fused
// with the residual add. The contract (order, mapping, flushes) is the header
// comment of include/qvk/ops/rmsnorm.hpp; the prelude comes from that
// descriptor: QVK_ADD_RESIDUAL, WORKGROUP_SIZE, LANES, push constants pc.{rows,
// n, eps, inv_n}, buffers x, [r,] w, y.
//
// Why this shape: a lane's sum is a chain of n/LANES dependent adds (the
// contract), so only LANES threads can add. If those threads also loaded their
// terms, every add would wait for a global load (one row of 4,096 took ~17 µs
// on the H100). Instead every thread loads its elements of a tile (up to 2,048
// elements) at once, squares them into shared memory, and the lane owners add
// from there; a row that fits one tile keeps h and w in registers for the
// output, a longer one is read again.
#extension GL_GOOGLE_include_directive : require

#include "prelude.glsl"
#include "numerics.glsl"
#include "reduce.glsl"

const uint REG = 8u;  // register slots per thread (a literal: the arrays stay in registers)
const uint RJ = 2048u / WORKGROUP_SIZE < REG ? 2048u / WORKGROUP_SIZE : REG;  // slots used per tile
const uint TILE = RJ * WORKGROUP_SIZE;  // elements per tile (<= 2048: its squares fit 8 KiB; a multiple of LANES)

shared float s_sq[TILE];
shared float s_total;

// h_i: the (flushed) input of the norm, x_i + r_i when the residual is fused.
float load_h(uint i) {
#if QVK_ADD_RESIDUAL
  return qvk_add(qvk_flush(x[i]), qvk_flush(r[i]));
#else
  return qvk_flush(x[i]);
#endif
}

void main() {
  const uint row = gl_WorkGroupID.x;
  const uint t = gl_LocalInvocationID.x;
  const uint n = pc.n;
  const uint base = row * n;
  const bool one_tile = n <= TILE;

  // Each lane is owned by one thread for the whole row (so no barrier guards it).
  for (uint l = t; l < LANES; l += WORKGROUP_SIZE) qvk_lanes[l] = 0.0;

  // Thread t holds elements tile0 + j·WORKGROUP_SIZE + t, j < RJ. Every index
  // into h and wv is a constant after unrolling (a dynamic one would put them
  // in local memory).
  float h[REG], wv[REG];
  for (uint tile0 = 0u; tile0 < n; tile0 += TILE) {
    for (uint j = 0u; j < REG; ++j) {
      const uint i = tile0 + j * WORKGROUP_SIZE + t;
      h[j] = j < RJ && i < n ? load_h(base + i) : 0.0;
    }
#if QVK_ADD_RESIDUAL
    for (uint j = 0u; j < REG; ++j) {  // after all the loads: no store sits between them
      const uint i = tile0 + j * WORKGROUP_SIZE + t;
      if (j < RJ && i < n) x[base + i] = h[j];
    }
#endif
    if (one_tile)  // loaded now, used after the reduction: the latency overlaps it
      for (uint j = 0u; j < REG; ++j) {
        const uint i = j * WORKGROUP_SIZE + t;
        wv[j] = j < RJ && i < n ? qvk_flush(w[i]) : 0.0;
      }
    for (uint j = 0u; j < REG; ++j)
      if (j < RJ) s_sq[j * WORKGROUP_SIZE + t] = qvk_mul(h[j], h[j]);
    memoryBarrierShared();
    barrier();
    // Lane l adds the squares of elements ≡ l (mod LANES) in increasing order.
    // A constant trip count (the tail predicated) lets the compiler issue the
    // shared loads ahead of the dependent adds.
    const uint valid = n - tile0;
    for (uint l = t; l < LANES; l += WORKGROUP_SIZE) {
      float acc = qvk_lanes[l];
      for (uint q = 0u; q < TILE / LANES; ++q) {
        const uint k = l + q * LANES;
        if (k < valid) acc = qvk_add(acc, s_sq[k]);
      }
      qvk_lanes[l] = acc;
    }
    memoryBarrierShared();
    barrier();
  }
  // The lane tree by one thread in registers (the same adds in the same order
  // as qvk_tree_reduce, without a barrier per level).
  memoryBarrierShared();
  barrier();
  if (t == 0u) {
    float v[32];  // LANES == 32 (rmsnorm.hpp asserts it)
    for (uint i = 0u; i < LANES; ++i) v[i] = qvk_lanes[i];
    for (uint s = LANES / 2u; s > 0u; s >>= 1)
      for (uint i = 0u; i < s; ++i) v[i] = qvk_add(v[i], v[i + s]);
    s_total = v[0];
  }
  memoryBarrierShared();
  barrier();
  const float ss = s_total;
  const float rs = qvk_rsqrt(qvk_add(qvk_mul(ss, pc.inv_n), pc.eps));

  if (one_tile) {
    for (uint j = 0u; j < REG; ++j) {
      const uint i = j * WORKGROUP_SIZE + t;
      if (j < RJ && i < n) y[base + i] = qvk_mul(qvk_mul(h[j], rs), wv[j]);
    }
  } else {
    // x already holds h when the residual is fused (written above by this same
    // thread); h is flushed, so flushing again changes nothing.
    for (uint i = t; i < n; i += WORKGROUP_SIZE) y[base + i] = qvk_mul(qvk_mul(qvk_flush(x[base + i]), rs), qvk_flush(w[i]));
  }
}
