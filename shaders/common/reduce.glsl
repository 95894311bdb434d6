// shaders/common/reduce.glsl — the canonical reduction of docs/numerics.md
// (qvk/numerics/reduce.hpp) over LANES logical lanes in shared memory.
//
// Requires the specialization constants LANES (a power of two) and
// WORKGROUP_SIZE, and numerics.glsl. Usage, in uniform control flow:
//   for (uint l = gl_LocalInvocationID.x; l < LANES; l += WORKGROUP_SIZE) {
//     float acc = 0.0;                       // lane l: terms l, l+LANES, … in order
//     for (uint i = l; i < n; i += LANES) acc = qvk_add(acc, term(i));
//     qvk_lanes[l] = acc;
//   }
//   float total = qvk_tree_reduce();
// Threads only choose which lanes they compute; the order is fixed by LANES.

shared float qvk_lanes[LANES];

// Pairwise tree: for s = LANES/2, …, 1: lane[i] += lane[i+s] for i < s.
// Every invocation of the workgroup must call it; all get lane[0].
float qvk_tree_reduce() {
  memoryBarrierShared();
  barrier();
  for (uint s = LANES / 2u; s > 0u; s >>= 1) {
    for (uint i = gl_LocalInvocationID.x; i < s; i += WORKGROUP_SIZE) qvk_lanes[i] = qvk_add(qvk_lanes[i], qvk_lanes[i + s]);
    memoryBarrierShared();
    barrier();
  }
  float total = qvk_lanes[0];
  barrier();  // qvk_lanes may be reused after this call
  return total;
}
