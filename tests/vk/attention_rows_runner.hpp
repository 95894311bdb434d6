// tests/vk/attention_rows_runner.hpp — runs one multi-row attention case (a
// prefill chunk of `queries` rows, row r attending n_pos + r positions) through
// both pass-1 kernels, AttentionRows and AttentionChunks, each followed by
// AttentionCombine, and checks (shared by attention_rows_test.cpp and
// property/attention_prop.cpp):
//   - AttentionRows' output of every row equals ref::portable::attention over
//     that row's positions, bit for bit (NaN matches NaN only in nan_ok cases);
//   - its partials of every (row, chunk < the row's chunks) equal the
//     reference's per-chunk values; partials of later chunks keep their NaN
//     fill, the guard words after every buffer are untouched;
//   - every word AttentionRows' run wrote (partials, output, guards) equals the
//     AttentionChunks run's: the two pass-1 kernels are interchangeable.
// Cache positions past the last row's count hold NaN, so a read past it would
// show in AttentionChunks' results; AttentionRows masks every position past a
// vector's own count, so for it such a read would not show (its loads are
// bounded by the block's largest count, read from the same attn_n_pos_row()).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "attention_runner.hpp"
#include "qvk/ops/attention_rows.hpp"

namespace qvk::vk::attntest {

struct RowsCase {
  AttentionCase base;  // head_dim 128; base.n_pos: the last row's count (the filled cache positions)
  std::uint32_t n_pos = 1, queries = 1;  // row r attends n_pos + r (Buffer form: push_n_pos + r + position)
  std::vector<float> q;                  // [queries][heads][128]

  ops::AttentionProblem problem() const {
    return {base.heads, base.kv_heads, base.pos_buffer ? base.push_n_pos : n_pos, base.cap(), queries};
  }
  // Row r alone, as a decode case of the reference.
  AttentionCase row(std::uint32_t r) const {
    AttentionCase c = base;
    c.n_pos = n_pos + r;
    const std::size_t n = std::size_t(base.heads) * base.head_dim;
    c.q.assign(q.begin() + std::ptrdiff_t(r * n), q.begin() + std::ptrdiff_t((r + 1) * n));
    return c;
  }
};

// K/V for every position the rows attend, q per row; `capacity` 0: exactly those positions.
inline RowsCase make_rows(std::uint32_t heads, std::uint32_t kv_heads, std::uint32_t n_pos, std::uint32_t queries,
                          Data data, std::uint64_t seed, std::uint32_t capacity = 0) {
  RowsCase c;
  c.n_pos = n_pos;
  c.queries = queries;
  c.base.heads = heads;
  c.base.kv_heads = kv_heads;
  c.base.head_dim = 128;
  c.base.n_pos = n_pos + queries - 1;
  c.base.capacity = capacity;
  fill_inputs(c.base, seed, data);
  for (std::uint32_t r = 0; r < queries; ++r) {
    AttentionCase one;
    one.heads = heads;
    one.kv_heads = kv_heads;
    one.head_dim = 128;
    fill_inputs(one, seed + 1 + r, data);  // Mixed: a class per head, so blocks mix tiny and normal q
    c.q.insert(c.q.end(), one.q.begin(), one.q.end());
  }
  return c;
}

// AttentionChunks' instance for the comparison: MaxGroup 8, or 16 for groups 9 … 16.
template <ops::PositionFrom From>
GpuResult run_rows_pass(const RowsCase& c, bool rows_kernel) {
  using Combine = ops::AttentionCombine<128, 128, From>;
  const std::size_t n_out = std::size_t(c.queries) * c.base.heads * c.base.head_dim;
  const ops::AttentionProblem p = c.problem();
  if (rows_kernel) return run_passes<ops::AttentionRows<From>, Combine>(p, c.q, c.base.kv, c.base.position, n_out, 0);
  if (p.heads / p.kv_heads > 8)
    return run_passes<ops::AttentionChunks<128, 128, 16, From>, Combine>(p, c.q, c.base.kv, c.base.position, n_out, 0);
  return run_passes<ops::AttentionChunks<128, 128, 8, From>, Combine>(p, c.q, c.base.kv, c.base.position, n_out, 0);
}

// Words equal, or (nan_ok) both NaN.
inline Comparison same_words(const std::string& what, std::span<const std::uint32_t> a,
                             std::span<const std::uint32_t> b, bool nan_ok) {
  if (a.size() != b.size()) return {false, what + ": sizes differ"};
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i] && !(nan_ok && is_nan_bits(a[i]) && is_nan_bits(b[i])))
      return {false, what + " word " + std::to_string(i) + ": AttentionRows " + hex(a[i]) + ", AttentionChunks " +
                         hex(b[i])};
  return {};
}

inline Comparison run_and_check_rows(const RowsCase& c) {
  const bool buf = c.base.pos_buffer;
  const GpuResult got = buf ? run_rows_pass<ops::PositionFrom::Buffer>(c, true)
                            : run_rows_pass<ops::PositionFrom::PushConstant>(c, true);
  if (got.dispatches != 2) return {false, "the recorder did not dispatch both passes"};
  const bool nan_ok = c.base.nan_ok;
  const std::size_t D = c.base.head_dim, heads = c.base.heads, n_out = heads * D;
  const std::size_t cap_rows = std::size_t(ops::attention_chunks(c.base.cap())) * heads;  // partial rows per query row
  const std::span<const std::uint32_t> out(got.out), ml(got.ml), o(got.o);
  Comparison r;
  for (std::uint32_t q = 0; q < c.queries && r.ok; ++q) {
    const AttentionCase row = c.row(q);
    const std::string at = "row " + std::to_string(q) + " ";
    r = compare(at + "out vs ref::portable::attention", out.subspan(q * n_out, n_out), reference_portable(row), D,
                nan_ok);
    const Partials p = reference_partials(row);
    const std::size_t rows = std::size_t(ops::attention_chunks(row.n_pos)) * heads;
    const auto row_ml = ml.subspan(q * cap_rows * 2, cap_rows * 2), row_o = o.subspan(q * cap_rows * D, cap_rows * D);
    if (r.ok) r = compare(at + "part_ml [chunk·heads + head][m, l]", row_ml.first(rows * 2), p.ml, 2, nan_ok);
    if (r.ok) r = compare(at + "part_o [chunk·heads + head][i]", row_o.first(rows * D), p.o, D, nan_ok);
    if (r.ok) r = expect_words(at + "part_ml past its positions", row_ml.subspan(rows * 2), kUnwrittenBits);
    if (r.ok) r = expect_words(at + "part_o past its positions", row_o.subspan(rows * D), kUnwrittenBits);
  }
  if (r.ok) r = expect_words("out guard", out.subspan(c.queries * n_out), kGuardBits);
  if (r.ok) r = expect_words("part_ml guard", ml.subspan(c.queries * cap_rows * 2), kGuardBits);
  if (r.ok) r = expect_words("part_o guard", o.subspan(c.queries * cap_rows * D), kGuardBits);
  if (!r.ok) return r;
  const GpuResult dec = buf ? run_rows_pass<ops::PositionFrom::Buffer>(c, false)
                            : run_rows_pass<ops::PositionFrom::PushConstant>(c, false);
  r = same_words("part_ml", got.ml, dec.ml, nan_ok);
  if (r.ok) r = same_words("part_o", got.o, dec.o, nan_ok);
  if (r.ok) r = same_words("out", got.out, dec.out, nan_ok);
  return r;
}

inline std::string describe(const RowsCase& c) {
  return describe(c.base) + " rows: n_pos=" + std::to_string(c.n_pos) + " queries=" + std::to_string(c.queries);
}

}  // namespace qvk::vk::attntest
