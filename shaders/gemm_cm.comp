#version 450
// shaders/gemm_cm.comp — gemm.comp's contract (include/qvk/ops/gemm.hpp: column
// b is the GEMV of X[b], term for term, lane for lane) with the integer parts
// on cooperative-matrix units: VK_NV_cooperative_matrix, int8 × int8 → int32,
// 16×16×32 per subgroup. Integer sums are exact in any order, so the units may
// add the products of a block however they like; every float op stays here,
// in the canonical order.
//
// Q4_0's −8·Σc and Q6_K's −32·Σc are products with the codes; the K-quants'
// B = Σ m·Σc reads the layout's stored sub-block sums, which every producer
// (QuantizeAct, quant::Q8Act) computes from the same codes (gemm.hpp states
// the precondition; gemm.comp reads them too).
//
// Subgroup s is taken to be invocations 32s … 32s+31 (sg = t / 32): true on
// the devices that have this extension (NVIDIA, contiguous 32-wide subgroups,
// vk::Device checks the size); gl_SubgroupID would not need the assumption.
//
// Tile: 32 weight rows × 64 batch columns per workgroup of NSG = 4 or 8
// subgroups of 32 threads (gemm.hpp: kCoopmatGemm, kCoopmatGemm256). Per block
// k of the rows (QVK_BLOCK elements: a K-quant super-block or a 32-element block):
//   1. all threads decode the 32 rows' block into int8 planes in shared memory
//      (NSG threads per row) and copy the 64 columns' activation codes of that
//      block beside them, with the rows' block scales and the columns'
//      activation scales (s_scale, s_da), and for SUBK the rows' sub-block
//      scales (s_sc) and mins (s_bm) and the columns' sub-block code sums
//      (s_blo, s_bhi);
//   2. with 4 subgroups, subgroup s multiplies both 16-row tiles by columns
//      16s … 16s+15; with 8, one 16-row tile (s % 2) by columns 16(s/2) …;
//   3. after the workgroup's second barrier (the planes are free for the next
//      block), each thread forms block_term (quant_blocks.glsl, the GEMV's own
//      code) for the elements its subgroup's int32 accumulators hold in its
//      registers; its next block's decode overlaps other subgroups' terms.
// Which (row, column) an accumulator element is, is the implementation's
// choice ("implementation-dependent" in GL_NV_cooperative_matrix). This shader
// ASSUMES that choice is the same for every matrix of one type, whether loaded
// or produced by coopMatMulAddNV (true on NVIDIA; the GEMM tests, which fill
// the output with an unwritten pattern first, would show any difference): a
// matrix loaded once from a table of r·16 + c (the index matrix ix) names the
// elements. Each thread owns ix.length() elements per tile: 8 on 32-wide
// subgroups that hold each of the 256 elements once (NVIDIA); any other count
// makes the workgroup write NaN over its whole tile instead of a partial sum
// (the count is checked, not that each element is held exactly once).
// The rows' block scales and the columns' activation scales are
// double-buffered in shared memory (s_scale[2], s_da[2]), so a subgroup's terms
// of block k read them while others decode block k+1.
// Q4_K/Q5_K (SUBK): a k-step is one 32-element sub-block, so the plane holds
// the raw codes (0..15, 0..31) and each k-step's int32 products P are scaled
// in registers, A += sc·P (sub-block scale sc); B = Σ m·Σc (min m, the
// column's code sum Σc) is two products per block, of the mins with the sums
// split as 128·hi + lo: the same integers as Σ sc·q·c and Σ m·Σc.
// Q6_K's sub-blocks are 16 elements, half a k-step, so its scaled code v
// (±4,096, not int8) is split as v = 128·hi + lo with lo in [0, 127] and hi
// small: two planes and two products whose sum is the block's A exactly.
//
// The canonical sum without 32 stored lanes per output: lane l adds the terms
// of blocks l, l+32, … in order from +0, and the lane tree pairs lane i with
// i+16, then i with i+8, …; visiting the lanes in bit-reversed order (0, 16, 8,
// 24, …) finishes siblings back to back, so a binary-counter stack of 5
// partial sums per output reproduces the tree's adds exactly (combine()).
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_spirv_intrinsics : enable
#extension GL_NV_cooperative_matrix : require
#extension GL_NV_integer_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_EXT_shader_explicit_arithmetic_types_int8 : require
#extension GL_EXT_control_flow_attributes : require

#include "prelude.glsl"
#include "numerics.glsl"
#include "weights.glsl"

layout(set = 0, binding = 0, std430) restrict readonly buffer Buf_w4 { uvec4 w4[]; };
layout(set = 0, binding = 1, std430) restrict readonly buffer Buf_act4 { uvec4 act4[]; };
const uint P = 1u;
uint qvk_act_elems() { return pc.batch * pc.cols; }  // the batch quantized as one vector
#include "quant_blocks.glsl"

#define TM 32u  // rows per workgroup (ROWS)
#define TN 64u  // batch columns per workgroup (COLS)
#define KSTEPS (QVK_BLOCK / 32u)
// Shared rows in uvec4s: one block of int8 codes, plus one uvec4 so the 16
// rows a fragment load reads start in different banks.
#define RS (QVK_BLOCK / 16u + 1u)
#define SUBK QVK_HAS_MINS  // Q4_K/Q5_K: sub-block scales and mins applied per k-step (above)
#if QVK_WTYPE == QVK_TYPE_Q6_K
#define NPLANES 2  // hi, lo
#else
#define NPLANES 1  // the codes themselves (Q8_0; Q4_0 as q − 8; Q4_K/Q5_K unscaled)
#endif
#define SPLIT (NPLANES >= 2)

// LEAN: spend no registers on hiding latency: a block's loads are issued at
// the block's start, not one block ahead, the index matrix is packed into 2
// registers and (Q6_K) the k-step loop stays rolled. On the H100 (qvk_bench
// ops --stats, 256 threads) that took Q6_K from 164 to 122 registers, two
// workgroups per SM, 5–7 % faster. Q4_K/Q5_K's unrolled SUBK k-steps take 186
// registers lean (one workgroup per SM) and run 5–6 % faster than rolled at
// 120; the prefetch measured 1–5 % slower for Q4_K (212 registers) and 3 %
// slower for Q5_K (220). The 32-element blocks (2 words, 1 uvec4, 1 k-step)
// keep the prefetch: lean measured ~2 % slower.
#define LEAN (QVK_WTYPE == QVK_TYPE_Q4_K || QVK_WTYPE == QVK_TYPE_Q5_K || QVK_WTYPE == QVK_TYPE_Q6_K)
#define ACT0 (NPLANES * TM * RS)
#define ACT_SIZE (TN * RS)
// At most (2·32 + 64)·17 uvec4 (Q6_K) = 34,816 B plus 1 KiB of scales, or for
// SUBK (32 + 64)·17 uvec4 = 26,112 B plus 7,172 B of scales, sub-block scales,
// mins, sums and a flag (the driver reports 35,904 and 33,360 B):
// within gemm.hpp's kSharedBytes (44 KiB), which vk::Device checks against the device's limit.
// The index table (64 uvec4) is written before the first block, over the planes.
shared uvec4 sm[ACT0 + ACT_SIZE];
shared vec2 s_scale[2][TM];  // by block parity: read by one block's terms while the next is decoded
shared float s_da[2][TN];    // the columns' activation scales, the same way
#if SUBK
// Read between the block's two barriers only, so one buffer: the rows'
// sub-block scales by k-step,
shared int s_sc[KSTEPS][TM];
// B = Σ m·Σc is a 32 × 64 × KSTEPS integer product: two more products per block
// (Σc = 128·hi + lo, lo in [0, 127], hi in [−32, 31] as |Σc| <= 32·127), with
// the mins as int8 rows and the sums as int8 columns of K = 32, slots 0..7 of
// which are the k-steps (8..31 stay 0, written once).
const uint KSLOTS = 32u;
shared int8_t s_bm[TM * KSLOTS];                   // row r's mins: r·KSLOTS + ks
shared int8_t s_blo[TN * KSLOTS], s_bhi[TN * KSLOTS];  // column c's sums: c·KSLOTS + ks
const uint SSN = TN * KSTEPS / WORKGROUP_SIZE;  // code sums per thread: 2 or 4
#endif
const uint NSG = WORKGROUP_SIZE / 32u;  // subgroups: 4 or 8
const uint TPS = 8u / NSG;              // 16×16 output tiles per subgroup: 2 or 1
const uint OUTS = 8u * TPS;             // outputs per thread: 16 or 8
const uint WPT = QVK_BLOCK / 4u / NSG;  // words per thread per plane: 16/8 (K-quants), 2/1
const uint ATOT = TN * (QVK_BLOCK / 16u);              // uvec4s of activation codes per block
const uint AVN = (ATOT + WORKGROUP_SIZE - 1u) / WORKGROUP_SIZE;  // per thread (<= 8)

#define ACC icoopmatNV<32, gl_ScopeSubgroup, 16, 16>
#define MAT_A icoopmatNV<8, gl_ScopeSubgroup, 16, 32>
#define MAT_B icoopmatNV<8, gl_ScopeSubgroup, 32, 16>

// Thread qq (of NSG per row)'s share of block kb of row `row`: words
// WPT·qq … WPT·qq + WPT − 1 of the row's block in each plane (element 4·word +
// byte). load() fetches it from memory (one block ahead unless LEAN); decode() turns it into
// the planes' words, wv[plane][word].
#if QVK_WTYPE == QVK_TYPE_Q8_0 || QVK_WTYPE == QVK_TYPE_Q4_0
#define NRAW 2
#elif QVK_WTYPE == QVK_TYPE_Q4_K
#define NRAW 12  // header, one 32-byte qs group (two sub-blocks)
#elif QVK_WTYPE == QVK_TYPE_Q5_K
#define NRAW 20  // header, one 32-byte qs group, the 32 qh bytes
#else
#define NRAW 25  // up to two 32-byte ql halves, 32 qh bytes, up to 4 scales
#endif
void load(uint row, uint kb, uint qq, out uint rw[NRAW]) {
  const uint blk = row * (pc.cols / QVK_BLOCK) + kb;
  uint r[8];
#if QVK_WTYPE == QVK_TYPE_Q8_0
  qvk_w_run(blk * 34u + 2u + 4u * WPT * qq, WPT, r);
  rw[0] = r[0];
  rw[1] = r[1];
#elif QVK_WTYPE == QVK_TYPE_Q4_0
  // Word gw < 4: low nibbles of qs bytes 4gw…; gw >= 4: high nibbles of bytes 4(gw − 4)….
  qvk_w_run(blk * 18u + 2u + 4u * ((WPT * qq) & 3u), WPT, r);
  rw[0] = r[0];
  rw[1] = r[1];
#elif QVK_HAS_MINS
  // Sub-blocks s = (WPT/8)·qq …: qs group c = s/2 (low nibbles: s even).
  const uint b4 = blk * BLOCK_VEC4, c = (WPT / 8u * qq) >> 1;
#if QVK_WTYPE == QVK_TYPE_Q4_K
  const uvec4 v[3] = uvec4[3](w4[b4], w4[b4 + 1u + 2u * c], w4[b4 + 2u + 2u * c]);
  [[unroll]] for (uint i = 0u; i < 12u; ++i) rw[i] = v[i >> 2][i & 3u];
#else
  const uvec4 v[5] = uvec4[5](w4[b4], w4[b4 + 3u + 2u * c], w4[b4 + 4u + 2u * c], w4[b4 + 1u], w4[b4 + 2u]);
  [[unroll]] for (uint i = 0u; i < 20u; ++i) rw[i] = v[i >> 2][i & 3u];
#endif
#else
  // 32-element units U = (WPT/8)·qq …: half hh = U/4, quadrant qd = U%4: ql bytes
  // 64hh + 32(qd&1) + i (nibble qd/2), qh bytes 32hh + i (bits 2qd), the int8
  // scales of sub-blocks 2U, 2U+1 (16 elements each).
  const uint base = blk * 210u, U0 = WPT / 8u * qq, hh = U0 >> 2;
  [[unroll]] for (uint u = 0u; u < 2u; ++u) {
    if (u >= WPT / 8u) break;
    qvk_w_run(base + 64u * hh + 32u * ((U0 + u) & 1u), 8u, r);
    [[unroll]] for (uint i = 0u; i < 8u; ++i) rw[8u * u + i] = r[i];
  }
  qvk_w_run(base + 128u + 32u * hh, 8u, r);
  [[unroll]] for (uint i = 0u; i < 8u; ++i) rw[16u + i] = r[i];
  qvk_w_run(base + 192u + 2u * U0, 1u, r);
  rw[24] = r[0];
#endif
}

void decode(uint rw[NRAW], uint qq, out uint wv[NPLANES][16], out uint ksm[2]) {
#if QVK_WTYPE == QVK_TYPE_Q8_0
  [[unroll]] for (uint m = 0u; m < 2u; ++m) if (m < WPT) wv[0][m] = rw[m];
#elif QVK_WTYPE == QVK_TYPE_Q4_0
  const uint nsh = 4u * ((WPT * qq) >> 2);
  [[unroll]] for (uint m = 0u; m < 2u; ++m) {
    if (m >= WPT) break;
    const uint nib = (rw[m] >> nsh) & 0x0f0f0f0fu;
    wv[0][m] = (nib + 0x78787878u) ^ 0x80808080u;  // each byte q − 8 as int8
  }
#elif QVK_HAS_MINS
  [[unroll]] for (uint u = 0u; u < 2u; ++u) {
    if (u >= WPT / 8u) break;
    const uint sb = WPT / 8u * qq + u;  // the sub-block
    const uvec2 sm_ = qvk_k_scale_min(sb, rw[1], rw[2], rw[3]);
    ksm[u] = sm_.x | (sm_.y << 16);
    [[unroll]] for (uint m = 0u; m < 8u; ++m) {
      uint q = (rw[4u + m] >> (4u * (sb & 1u))) & 0x0f0f0f0fu;
#if QVK_WTYPE == QVK_TYPE_Q5_K
      q |= ((rw[12u + m] >> sb) & 0x01010101u) << 4;
#endif
      wv[0][8u * u + m] = q;  // 0..31: int8 as it is
    }
  }
#elif QVK_WTYPE == QVK_TYPE_Q6_K
  [[unroll]] for (uint u = 0u; u < 2u; ++u) {
    if (u >= WPT / 8u) break;
    const uint U = WPT / 8u * qq + u, qd = U & 3u;
    [[unroll]] for (uint m = 0u; m < 8u; ++m) {
      const uint q = ((rw[8u * u + m] >> (4u * (qd >> 1))) & 0x0f0f0f0fu) | (((rw[16u + m] >> (2u * qd)) & 0x03030303u) << 4);
      const int sc = bitfieldExtract(int(rw[24]), int(8u * (2u * u + (m >> 2))), 8);
      // v = sc·(q − 32) + 4096 in [32, 8192], per 16-bit lane without a borrow:
      // q·(sc + 128) + (4096 − 32·sc) − 128·q, every partial in [0, 65535].
      const uint c = uint(4096 - 32 * sc) * 0x00010001u, scp = uint(sc + 128);
      const uint qe = q & 0x00ff00ffu, qo = (q >> 8) & 0x00ff00ffu;
      const uint ve = qe * scp + c - (qe << 7), vo = qo * scp + c - (qo << 7);
      // lo = v mod 128 (4096 is a multiple of 128), hi = v/128 − 32 in [−32, 32] as int8.
      wv[1][8u * u + m] = (ve & 0x007f007fu) | ((vo & 0x007f007fu) << 8);
      const uint he = (((ve >> 7) & 0x007f007fu) + 0x00e000e0u) & 0x00ff00ffu;
      const uint ho = (((vo >> 7) & 0x007f007fu) + 0x00e000e0u) & 0x00ff00ffu;
      wv[0][8u * u + m] = he | (ho << 8);
    }
  }
#endif
}

// The index matrix's elements (ix_at(e) = r·16 + c of element e), LEAN: as bytes.
#if LEAN
uint ixp[2];
uint ix_at(uint e) { return bitfieldExtract(ixp[e >> 2], int(8u * (e & 3u)), 8); }
#else
uint ixp[8];
uint ix_at(uint e) { return ixp[e]; }
#endif

// The outputs a thread owns: element e of its subgroup's accumulator of tile
// ti, o = 8·ti + e (OUTS of them; ix names their rows and columns).
float run[16];  // the current lane's sum
float st0[16], st1[16], st2[16], st3[16], st4[16];  // the tree's pending subtrees

// Lane j (in bit-reversed order) is complete in run: add it into the tree
// as numerics::strided_sum's levels would (left operand = the lower lanes).
// j's trailing 1 bits count the finished left siblings it merges with (a
// binary counter; j == 31, five, also merges into the root). One uniform
// switch, so a call costs only its own adds. Written as a branch per output
// and level, it cost as if every call paid all five levels for every output
// (if-converted, presumably: no SASS here): on the H100 the 16 empty lanes of
// a 16-block row alone took ~16 % of the op (docs/perf.md, session 14).
void combine(uint j) {
  switch (findLSB(~j)) {
  case 0:
    [[unroll]] for (uint o = 0u; o < OUTS; ++o) st0[o] = run[o];
    break;
  case 1:
    [[unroll]] for (uint o = 0u; o < OUTS; ++o) st1[o] = qvk_add(st0[o], run[o]);
    break;
  case 2:
    [[unroll]] for (uint o = 0u; o < OUTS; ++o) st2[o] = qvk_add(st1[o], qvk_add(st0[o], run[o]));
    break;
  case 3:
    [[unroll]] for (uint o = 0u; o < OUTS; ++o) st3[o] = qvk_add(st2[o], qvk_add(st1[o], qvk_add(st0[o], run[o])));
    break;
  case 4:
    [[unroll]] for (uint o = 0u; o < OUTS; ++o)
      st4[o] = qvk_add(st3[o], qvk_add(st2[o], qvk_add(st1[o], qvk_add(st0[o], run[o]))));
    break;
  default:  // j == 31: the root
    [[unroll]] for (uint o = 0u; o < OUTS; ++o)
      st4[o] = qvk_add(st4[o], qvk_add(st3[o], qvk_add(st2[o], qvk_add(st1[o], qvk_add(st0[o], run[o])))));
    break;
  }
}

// Block kb into thread t's registers: its share of the weights of row `row`,
// that row's block scales, its share of the 64 columns' activation codes, and
// (t < TN) column t's activation scale (columns past the batch read the last
// one; t past the codes re-reads the last uvec4, never stored).
void fetch(uint t, uint row, uint qq, uint col0, uint kb, out uint rw[NRAW], out vec2 sc, out uvec4 pa[8], out float da,
           out int ps[4]) {
  const uint nb = pc.cols / QVK_BLOCK;
  load(row, kb, qq, rw);
  sc = block_scales(row * nb + kb);
  da = uintBitsToFloat(act[act_d_word() + min(col0 + t % TN, pc.batch - 1u) * nb + kb]);  // used by t < TN
  [[unroll]] for (uint a = 0u; a < 8u; ++a) {
    if (a >= AVN) break;
    const uint i = min(t + WORKGROUP_SIZE * a, ATOT - 1u), n = i / (QVK_BLOCK / 16u), c = i % (QVK_BLOCK / 16u);
    pa[a] = act4[(min(col0 + n, pc.batch - 1u) * pc.cols + kb * QVK_BLOCK) / 16u + c];
  }
#if SUBK
  // Code sums i = t + WORKGROUP_SIZE·a: column i / KSTEPS, sub-block i % KSTEPS
  // (the layout's stored sums: gemm.hpp's precondition, the sums of its codes).
  [[unroll]] for (uint a = 0u; a < 4u; ++a) {
    if (a >= SSN) break;
    const uint i = t + WORKGROUP_SIZE * a;
    ps[a] = int(act[act_sums_word() + KSTEPS * (min(col0 + i / KSTEPS, pc.batch - 1u) * nb + kb) + i % KSTEPS]);
  }
#endif
}

// NaN over the workgroup's whole tile: the accumulators' layout is not one this
// shader can name, and a partial sum must never look like a result.
void nan_tile(uint t, uint row0, uint col0) {
  for (uint i = t; i < TM * TN; i += WORKGROUP_SIZE) {
    const uint row = row0 + i / TN, col = col0 + i % TN;
    if (row < pc.rows && col < pc.batch) y[col * pc.rows + row] = uintBitsToFloat(QVK_CANONICAL_NAN);
  }
}

#if SUBK
// SUBK reads the sub-block scales, block scales and activation scales once per
// distinct row and column of a thread's 8 elements, not once per element: it
// needs element e's row to depend on bit 2 of e only and its column on bits 0
// and 1 only. NVIDIA's int32 16×16 accumulator (H100, driver 580): lane 4g + i
// holds columns 2i, 2i + 1, 2i + 8, 2i + 9 (e = 0..3) of row g, then the same
// of row g + 8 (e = 4..7). Checked, not assumed.
shared uint s_layout_bad;
bool subk_layout_ok() {
  bool ok = true;
  [[unroll]] for (uint e = 0u; e < 8u; ++e) {
    ok = ok && (ix_at(e) >> 4) == (ix_at(e & 4u) >> 4) && (ix_at(e) & 15u) == (ix_at(e & 3u) & 15u);
  }
  return ok;
}
#endif

// Output tile ti of subgroup sg: its 16-row tile and its 16-column tile.
uint tile_row(uint sg, uint ti) { return TPS == 2u ? ti : (sg & 1u); }
uint tile_col(uint sg) { return TPS == 2u ? sg : (sg >> 1); }

void main() {
  const uint t = gl_LocalInvocationID.x, sg = t >> 5;
  const uint row0 = (gl_WorkGroupID.y + gl_WorkGroupID.z * gl_NumWorkGroups.y) * TM;
  if (row0 >= pc.rows) return;  // the grid's spare row tiles (uniform)
  const uint col0 = gl_WorkGroupID.x * TN;
  const uint nb = pc.cols / QVK_BLOCK, last_row = pc.rows - 1u;
  const uint dr = t / NSG, qq = t % NSG;  // decode: row dr, share qq
  const uint drow = min(row0 + dr, last_row);
  const uint ct = tile_col(sg), rt0 = tile_row(sg, 0u);

  // The index matrix: element e of any ACC of this thread is (row, column)
  // (ix[e] / 16, ix[e] % 16) of its 16×16 tile.
  for (uint i = t; i < 64u; i += WORKGROUP_SIZE) sm[i] = 4u * i + uvec4(0u, 1u, 2u, 3u);
#if SUBK
  if (t == 0u) s_layout_bad = 0u;
  for (uint i = t; i < TM * KSLOTS; i += WORKGROUP_SIZE) s_bm[i] = int8_t(0);  // the K slots past KSTEPS
  for (uint i = t; i < TN * KSLOTS; i += WORKGROUP_SIZE) s_blo[i] = s_bhi[i] = int8_t(0);
#endif
  memoryBarrierShared();
  barrier();
  ACC ix;
  coopMatLoadNV(ix, sm, 0u, 4u, false);
  if (ix.length() != 8) {  // not the layout the owners assume: NaN over the tile, never a partial sum
    nan_tile(t, row0, col0);
    return;
  }
#if LEAN
  ixp[0] = ixp[1] = 0u;
  [[unroll]] for (uint e = 0u; e < 8u; ++e) ixp[e >> 2] |= uint(ix[e]) << (8u * (e & 3u));
#else
  [[unroll]] for (uint e = 0u; e < 8u; ++e) ixp[e] = uint(ix[e]);
#endif
#if SUBK
  if (!subk_layout_ok()) s_layout_bad = 1u;
  memoryBarrierShared();
#endif
  barrier();  // every subgroup has its index matrix before the first decode overwrites the table
#if SUBK
  if (s_layout_bad != 0u) {  // the same value for every thread after the barrier
    nan_tile(t, row0, col0);
    return;
  }
#endif

  // The blocks in visiting order: lane j (bit-reversed), its blocks kb, kb+32, ….
  // Each block's weights, scales and activation codes are fetched into
  // registers one block ahead, so their latency hides behind the previous
  // block's products and terms; LEAN fetches at the block's start instead and
  // relies on the SM's other workgroups to cover the latency (Q6_K: two per
  // SM; Q4_K/Q5_K at 186 registers have one, and their prefetch measured slower).
  uint rw[NRAW];
  uvec4 pa[8];
  vec2 psc;
  float pda;
  int ps[4];
  uint par = 0u;  // which of s_scale and s_da the current block uses
#if !LEAN
  fetch(t, drow, qq, col0, 0u, rw, psc, pa, pda, ps);  // block 0: lane 0's first
#endif
  for (uint j = 0u; j < 32u; ++j) {
    const uint lane = bitfieldReverse(j) >> 27;
    [[unroll]] for (uint o = 0u; o < 16u; ++o) run[o] = 0.0;
    for (uint kb = lane; kb < nb; kb += 32u) {
      // 1. the fetched block into shared memory: the rows' planes, scales and the columns' codes.
#if LEAN
      fetch(t, drow, qq, col0, kb, rw, psc, pa, pda, ps);
#endif
      {
        uint wv[NPLANES][16], ksm[2];
        decode(rw, qq, wv, ksm);
#if SUBK
        [[unroll]] for (uint u = 0u; u < 2u; ++u) {
          if (u >= WPT / 8u) break;
          s_sc[WPT / 8u * qq + u][dr] = int(ksm[u] & 0xffffu);
          s_bm[dr * KSLOTS + WPT / 8u * qq + u] = int8_t(ksm[u] >> 16);
        }
        [[unroll]] for (uint a = 0u; a < 4u; ++a) {
          if (a >= SSN) break;
          const uint i = t + WORKGROUP_SIZE * a;
          s_blo[(i / KSTEPS) * KSLOTS + i % KSTEPS] = int8_t(ps[a] & 127);
          s_bhi[(i / KSTEPS) * KSLOTS + i % KSTEPS] = int8_t(ps[a] >> 7);
        }
#endif
        [[unroll]] for (uint p = 0u; p < NPLANES; ++p) {
          if (WPT % 4u == 0u) {  // whole uvec4s (the K-quants: 8 or 16 words per thread)
            [[unroll]] for (uint m = 0u; m < 16u; m += 4u) {
              if (m >= WPT) break;
              sm[p * TM * RS + dr * RS + (qq * WPT + m) / 4u] = uvec4(wv[p][m], wv[p][m + 1u], wv[p][m + 2u], wv[p][m + 3u]);
            }
          } else {
            [[unroll]] for (uint m = 0u; m < 16u; ++m) {
              if (m >= WPT) break;
              const uint word = qq * WPT + m;  // of the row's block
              sm[p * TM * RS + dr * RS + (word >> 2)][word & 3u] = wv[p][m];
            }
          }
        }
      }
      if (qq == 0u) s_scale[par][dr] = psc;
      if (t < TN) s_da[par][t] = pda;
      [[unroll]] for (uint a = 0u; a < 8u; ++a) {
        if (a >= AVN) break;
        const uint i = t + WORKGROUP_SIZE * a;
        if (i < ATOT) sm[ACT0 + (i / (QVK_BLOCK / 16u)) * RS + i % (QVK_BLOCK / 16u)] = pa[a];
      }
      memoryBarrierShared();
      barrier();

#if !LEAN
      // The next block in visiting order (uniform), fetched now.
      uint next = kb + 32u;
      for (uint j2 = j + 1u; next >= nb && j2 < 32u; ++j2) next = bitfieldReverse(j2) >> 27;
      if (next < nb) fetch(t, drow, qq, col0, next, rw, psc, pa, pda, ps);
#endif

      // 2. the integer parts of the subgroup's tiles: rows rt0 (and rt0 + 1 with
      // 4 subgroups) × columns ct.
      MAT_A fa;
      MAT_B fb;
      const uint R0 = 16u * rt0 * RS, B0 = ACT0 + 16u * ct * RS;
#if SUBK
      // Per k-step (sub-block ks): P = codes × codes, then A += sc·P per
      // element, with the row that subk_layout_ok found (element e: row by bit 2);
      // then B = mins × sums as two products (lo, hi).
      int Ai[16], Bi[16];
      [[unroll]] for (uint o = 0u; o < 16u; ++o) Ai[o] = 0;
      [[unroll]] for (uint ks = 0u; ks < KSTEPS; ++ks) {
        coopMatLoadNV(fb, sm, B0 + 2u * ks, RS, true);
        [[unroll]] for (uint ti = 0u; ti < 2u; ++ti) {
          if (ti >= TPS) break;
          coopMatLoadNV(fa, sm, R0 + 16u * ti * RS + 2u * ks, RS, false);
          ACC pr = ACC(0);
          pr = coopMatMulAddNV(fa, fb, pr);
          const uint rt = 16u * tile_row(sg, ti);
          const int kA = s_sc[ks][rt + (ix_at(0u) >> 4)], kB = s_sc[ks][rt + (ix_at(4u) >> 4)];
          [[unroll]] for (uint e = 0u; e < 8u; ++e) Ai[8u * ti + e] += ((e & 4u) != 0u ? kB : kA) * pr[e];
        }
      }
      {
        MAT_B flo, fhi;
        coopMatLoadNV(flo, s_blo, 16u * ct * KSLOTS, KSLOTS, true);
        coopMatLoadNV(fhi, s_bhi, 16u * ct * KSLOTS, KSLOTS, true);
        [[unroll]] for (uint ti = 0u; ti < 2u; ++ti) {
          if (ti >= TPS) break;
          coopMatLoadNV(fa, s_bm, 16u * tile_row(sg, ti) * KSLOTS, KSLOTS, false);
          ACC lo = ACC(0), hi = ACC(0);
          lo = coopMatMulAddNV(fa, flo, lo);
          hi = coopMatMulAddNV(fa, fhi, hi);
          [[unroll]] for (uint e = 0u; e < 8u; ++e) Bi[8u * ti + e] = 128 * hi[e] + lo[e];
        }
      }
#else
      ACC a0 = ACC(0), a1 = ACC(0);
#if SPLIT
      ACC h0 = ACC(0), h1 = ACC(0);  // the hi plane's products (× 128 in the terms)
#endif
      const uint LO = SPLIT ? 1u : 0u;
      // Each codes fragment loaded once, for every plane. LEAN: not unrolled, else the
      // compiler hoists the 8 k-steps' fragment loads and holds them (13 registers).
#if LEAN
      [[dont_unroll]] for (uint ks = 0u; ks < KSTEPS; ++ks) {
#else
      for (uint ks = 0u; ks < KSTEPS; ++ks) {
#endif
        coopMatLoadNV(fb, sm, B0 + 2u * ks, RS, true);
#if SPLIT
        coopMatLoadNV(fa, sm, R0 + 2u * ks, RS, false);
        h0 = coopMatMulAddNV(fa, fb, h0);
        if (TPS == 2u) {
          coopMatLoadNV(fa, sm, R0 + 16u * RS + 2u * ks, RS, false);
          h1 = coopMatMulAddNV(fa, fb, h1);
        }
#endif
        coopMatLoadNV(fa, sm, LO * TM * RS + R0 + 2u * ks, RS, false);
        a0 = coopMatMulAddNV(fa, fb, a0);
        if (TPS == 2u) {
          coopMatLoadNV(fa, sm, LO * TM * RS + R0 + 16u * RS + 2u * ks, RS, false);
          a1 = coopMatMulAddNV(fa, fb, a1);
        }
      }
#endif
      barrier();  // every subgroup is done with the planes and codes the next decode overwrites

      // 3. the float terms from the accumulators' elements, in lane order.
      [[unroll]] for (uint o = 0u; o < 16u; ++o) {
        if (o >= OUTS) break;
        const uint ti = o >> 3, e = o & 7u;
#if SUBK
        const uint r = 16u * tile_row(sg, ti) + (ix_at(e & 4u) >> 4);
        const uint c = 16u * ct + (ix_at(e & 3u) & 15u);
#else
        const uint rc = ix_at(e);
        const uint r = 16u * tile_row(sg, ti) + (rc >> 4);
        const uint c = 16u * ct + (rc & 15u);
#endif
#if SUBK
        const int A = Ai[o], B = Bi[o];
#elif SPLIT
        const int A = ti == 0u ? 128 * h0[e] + a0[e] : 128 * h1[e] + a1[e];  // 128·hi + lo, exact
        const int B = 0;
#else
        const int A = ti == 0u ? a0[e] : a1[e];
        const int B = 0;
#endif
        const vec2 sc = s_scale[par][r];
        run[o] = qvk_add(run[o], block_term_final_da(s_da[par][c], A, B, sc.x, sc.y));
      }
      par ^= 1u;
    }
    combine(j);
  }

  [[unroll]] for (uint o = 0u; o < 16u; ++o) {
    if (o >= OUTS) break;
    const uint ti = o >> 3, rc = ix_at(o & 7u);
    const uint row = row0 + 16u * tile_row(sg, ti) + (rc >> 4), col = col0 + 16u * ct + (rc & 15u);
    if (row < pc.rows && col < pc.batch) y[col * pc.rows + row] = qvk_canonical_nan(st4[o]);
  }
}
