// Attention properties. Decode: for random head configurations (group 1…8, head_dim
// 64/128/256), random n_pos (tiny, around chunk boundaries, ragged up to ~1.5k)
// with random extra capacity, random data classes (normal, wide and huge score gaps,
// huge values, subnormal cache, tiny q, zeros, mixed), random workgroup sizes of both passes
// (the chunk pass: 64/128/256 at head_dim 128, see kChunkWorkgroups) and every
// subgroup size the device allows, the GPU output and the chunk
// partials equal the reference bit for bit (tests/vk/attention_runner.hpp); and
// the same for runs of query rows through AttentionRows, which must also equal
// AttentionChunks word for word (tests/vk/attention_rows_runner.hpp).
// Case count: rapidcheck's default (100); more with RC_PARAMS="max_success=N"
// (600 cases take about 13 s on lavapipe once its shader cache is warm).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "attention_rows_runner.hpp"

namespace qvk::vk::attntest {
namespace {

// A fixed, logged default seed; an RC_PARAMS set by the caller wins.
const bool kDefaultParams = [] { return setenv("RC_PARAMS", "seed=20261122", 0) == 0; }();

rc::Gen<std::uint32_t> gen_n_pos() {
  return rc::gen::oneOf(rc::gen::inRange<std::uint32_t>(1, 70),                                // tiny, one chunk
                        rc::gen::map(rc::gen::pair(rc::gen::inRange<std::uint32_t>(1, 20),     // chunk boundary ± 1
                                                   rc::gen::inRange<int>(-1, 2)),
                                     [](std::pair<std::uint32_t, int> p) { return std::uint32_t(int(p.first * 64) + p.second); }),
                        rc::gen::inRange<std::uint32_t>(1, 1500));                              // ragged
}

void dump_failure(const AttentionCase& c, Data data, std::uint64_t seed, const std::string& message) {
  const auto path = std::filesystem::path(QVK_BINARY_DIR) / "property" / "attention_failures.txt";
  std::ofstream f(path, std::ios::app);
  f << describe(c) << " data=" << name(data) << " seed=" << seed << " : " << message << "\n";
}

RC_GTEST_PROP(AttentionProp, BitExactVsReference, ()) {
  RC_PRE(kDefaultParams);
  Device& d = device();
  AttentionCase c;
  c.head_dim = *rc::gen::element<std::uint32_t>(64, 128, 256);
  c.kv_heads = *rc::gen::inRange<std::uint32_t>(1, c.head_dim == 256 ? 3 : 5);
  const std::uint32_t group = *rc::gen::element<std::uint32_t>(1, 2, 3, 4, 7, 8);
  c.heads = c.kv_heads * group;
  c.n_pos = *gen_n_pos();
  c.capacity = c.n_pos + *rc::gen::element<std::uint32_t>(0, 0, 1, 63, 200);
  c.chunk_wg = c.head_dim == 128 ? *rc::gen::elementOf(std::vector<std::uint32_t>(std::begin(kChunkWorkgroups),
                                                                                     std::end(kChunkWorkgroups)))
                                  : kDefaultChunkWorkgroup;
  c.combine_wg = *rc::gen::elementOf(std::vector<std::uint32_t>(std::begin(kCombineWorkgroups), std::end(kCombineWorkgroups)));
  std::vector<std::uint32_t> sizes{0};
  if (d.can_pin_subgroup_size()) {
    const auto allowed = d.features().allowed_subgroup_sizes();
    sizes.insert(sizes.end(), allowed.begin(), allowed.end());
  }
  c.subgroup = *rc::gen::elementOf(sizes);
  const Data data = *rc::gen::element(Data::Normal, Data::WideScores, Data::HugeGaps, Data::HugeFinite,
                                      Data::SubnormalCache, Data::TinyQ, Data::Zeros, Data::Mixed, Data::Mixed);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  RC_CLASSIFY(c.n_pos % 64 == 0, "whole chunks");
  RC_CLASSIFY(c.n_pos % 64 != 0, "ragged last chunk");
  RC_CLASSIFY(c.capacity > c.n_pos, "capacity > n_pos");
  RC_TAG(name(data));
  RC_TAG(d.features().name);

  fill_inputs(c, seed, data);
  const Comparison cmp = run_and_check(c);
  if (!cmp.ok) dump_failure(c, data, seed, cmp.message);
  RC_ASSERT(cmp.ok);  // the message is in the dump file
  RC_ASSERT(d.validation_failures() == 0);
}

// Prefill chunks (AttentionRows, head_dim 128): random groups 1…8, random
// first-row count (tiny, chunk boundary ± 1, ragged) and row count (1…40, so
// blocks of 16 query vectors end anywhere in a row), random spare capacity and
// data class, the Buffer form half the time; every row's output and partials
// equal the reference's bits, and every word equals AttentionChunks' run.
RC_GTEST_PROP(AttentionProp, RowsBitExactVsReferenceAndDecodePass, ()) {
  RC_PRE(kDefaultParams);
  Device& d = device();
  const std::uint32_t kv_heads = *rc::gen::inRange<std::uint32_t>(1, 4);
  const std::uint32_t group = *rc::gen::element<std::uint32_t>(1, 2, 3, 4, 5, 7, 8);
  const std::uint32_t n_pos = *rc::gen::oneOf(rc::gen::inRange<std::uint32_t>(1, 70),
                                              rc::gen::map(rc::gen::inRange<std::uint32_t>(1, 6),
                                                           [](std::uint32_t c) { return c * 64 - 1; }),
                                              rc::gen::inRange<std::uint32_t>(1, 400));
  const std::uint32_t queries = *rc::gen::inRange<std::uint32_t>(1, 41);
  const std::uint32_t spare = *rc::gen::element<std::uint32_t>(0, 0, 1, 63, 200);
  const Data data = *rc::gen::element(Data::Normal, Data::WideScores, Data::HugeGaps, Data::HugeFinite,
                                      Data::SubnormalCache, Data::TinyQ, Data::Zeros, Data::Mixed);
  const bool pos_buffer = *rc::gen::arbitrary<bool>();
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  RowsCase c = make_rows(kv_heads * group, kv_heads, n_pos, queries, data, seed, n_pos + queries - 1 + spare);
  if (pos_buffer) {  // row r attends push_n_pos + r + pos[0] = n_pos + r
    c.base.pos_buffer = true;
    c.base.position = *rc::gen::inRange<std::uint32_t>(0, n_pos);
    c.base.push_n_pos = n_pos - c.base.position;
  }
  RC_CLASSIFY((queries * group) % 16 != 0, "last block of query vectors ragged");
  RC_CLASSIFY(n_pos / 64 != (n_pos + queries - 1) / 64, "rows cross a chunk boundary");
  RC_CLASSIFY(pos_buffer, "position buffer");
  RC_TAG(name(data));
  RC_TAG(d.features().name);

  const Comparison cmp = run_and_check_rows(c);
  if (!cmp.ok) dump_failure(c.base, data, seed, "rows: n_pos=" + std::to_string(n_pos) + " queries=" +
                                                    std::to_string(queries) + ": " + cmp.message);
  RC_ASSERT(cmp.ok);  // the message is in the dump file
  RC_ASSERT(d.validation_failures() == 0);
}

TEST(AttentionProp, RanOnANamedDeviceWithCleanValidation) {
  std::cerr << "property tests ran on: " << device().features().name << "\n";
  EXPECT_FALSE(device().features().name.empty());
  expect_validation_clean();
}

}  // namespace
}  // namespace qvk::vk::attntest
