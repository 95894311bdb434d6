// The bandwidth probe of qvk_bench reads every word of its buffer exactly once:
// the XOR of its per-thread outputs equals the XOR of all data words, for grids
// smaller and larger than the data and ragged tails of the unrolled loop.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "qvk/ops/read_probe.hpp"
#include "qvk/vk/buffer.hpp"
#include "qvk/vk/record.hpp"
#include "vk_test_device.hpp"

namespace qvk::vk::test {
namespace {

template <std::uint32_t WG, std::uint32_t Unroll>
std::uint32_t probe_xor(const Buffer& data, std::uint32_t n, std::uint32_t groups) {
  using Op = ops::ReadProbe<WG, Unroll>;
  Device& d = device();
  const typename Op::Problem p{n, groups};
  Buffer out(d, std::uint64_t(Op::threads(p)) * 4);
  Recorder rec(d, pipelines());
  submit_and_wait(d, [&](VkCommandBuffer cmd) { record<Op>(rec, cmd, {whole(data), whole(out)}, p); });
  EXPECT_EQ(rec.dispatches(), 1u);
  std::vector<std::uint32_t> got(Op::threads(p));
  download(d, out, std::span<std::uint32_t>(got));
  std::uint32_t x = 0;
  for (auto v : got) x ^= v;
  return x;
}

TEST(ReadProbe, ReadsEveryWordExactlyOnceForAnyGridAndTail) {
  Device& d = device();
  std::mt19937 rng(20261122);
  for (std::uint32_t n : {1u, 7u, 1000u, 4096u, 65537u}) {
    std::vector<std::uint32_t> words(std::size_t(n) * 4);
    std::uint32_t want = 0;
    for (auto& w : words) want ^= (w = rng());
    Buffer data(d, words.size() * 4);
    upload(d, data, std::span<const std::uint32_t>(words));
    for (std::uint32_t groups : {1u, 3u, 64u}) {
      EXPECT_EQ((probe_xor<64, 4>(data, n, groups)), want) << "n=" << n << " groups=" << groups;
      EXPECT_EQ((probe_xor<256, 8>(data, n, groups)), want) << "n=" << n << " groups=" << groups;
      EXPECT_EQ((probe_xor<32, 1>(data, n, groups)), want) << "n=" << n << " groups=" << groups;
    }
  }
  expect_validation_clean();
}

TEST(ReadProbe, RejectsABufferSmallerThanTheProblem) {
  Device& d = device();
  Buffer data(d, 64), out(d, 64 * 4);
  Recorder rec(d, pipelines());
  using Op = ops::ReadProbe<64, 4>;
  EXPECT_THROW(submit_and_wait(d, [&](VkCommandBuffer cmd) { record<Op>(rec, cmd, {whole(data), whole(out)}, {5, 1}); }),
               Error);
}

}  // namespace
}  // namespace qvk::vk::test
