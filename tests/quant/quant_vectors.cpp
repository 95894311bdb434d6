// qvk_quant_vectors OUTDIR — writes seeded test vectors and qvk's results for
// the gguf-py parity check (gguf_py_parity.py compares them byte for byte).
//
// OUTDIR/manifest.tsv, one case per line:
//   dequant <TYPE> <n_blocks> <blocks file> <our f32 output file>
//   quant   <TYPE> <n_elems>  <f32 input file> <our block bytes file>
// Dequant blocks are random bytes with their f16 scales drawn from: ±0, f16
// subnormals, the smallest normal, huge (>= 2^15), random finite. Quant inputs
// are finite (gguf-py leaves non-finite and subnormal-scale results undefined
// for Q8_0/Q4_0); F16/BF16 also get ±inf, ties and overflow, BF16 NaNs. F16 gets
// no NaN: numpy 1.24's software cast keeps signalling NaNs signalling while qvk
// (like F16C hardware and GCC) quiets them — see numerics/half.hpp.
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "qvk/numerics/half.hpp"
#include "qvk/quant/row.hpp"

namespace {

using qvk::quant::Type;
constexpr std::uint64_t kSeed = 20261122;

std::filesystem::path g_out;
std::ofstream g_manifest;

void write_file(const std::string& file, const void* data, std::size_t n) {
  std::ofstream f(g_out / file, std::ios::binary);
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
  if (!f) throw std::runtime_error("cannot write " + (g_out / file).string());
}

std::uint16_t special_f16(std::mt19937_64& rng, std::size_t k) {
  const auto sign = static_cast<std::uint16_t>((rng() & 1) << 15);
  switch (k % 8) {
    case 0: return sign;                                                       // ±0
    case 1: return static_cast<std::uint16_t>(sign | (1 + rng() % 0x3ff));      // subnormal
    case 2: return static_cast<std::uint16_t>(sign | 0x0400);                  // smallest normal
    case 3: return static_cast<std::uint16_t>(sign | (0x7800 + rng() % 0x400));  // huge: 2^15 .. 65504
    case 4: return static_cast<std::uint16_t>(sign | 0x0001);                  // smallest subnormal
    default: {                                                                  // random finite
      auto h = static_cast<std::uint16_t>(rng());
      if ((h & 0x7c00) == 0x7c00) h = static_cast<std::uint16_t>(h & ~0x4000);
      return h;
    }
  }
}

void dequant_case(Type t, const std::vector<std::byte>& blocks) {
  const auto& ti = qvk::quant::info(t);
  const std::size_t n_blocks = blocks.size() / ti.block_bytes;
  std::vector<float> out(n_blocks * ti.block_elems);
  qvk::quant::dequantize_row(t, blocks, out);
  const std::string name(ti.name);
  write_file("dequant_" + name + ".blocks", blocks.data(), blocks.size());
  write_file("dequant_" + name + ".ours", out.data(), out.size() * 4);
  g_manifest << "dequant\t" << name << '\t' << n_blocks << "\tdequant_" << name << ".blocks\tdequant_" << name
             << ".ours\n";
}

void quant_case(Type t, const std::vector<float>& x, const std::string& input_name) {
  const std::string name(qvk::quant::name(t));
  std::vector<std::byte> out(qvk::quant::row_bytes(t, x.size()));
  qvk::quant::quantize_row(t, x, out);
  write_file("quant_" + name + ".ours", out.data(), out.size());
  g_manifest << "quant\t" << name << '\t' << x.size() << '\t' << input_name << "\tquant_" << name << ".ours\n";
}

// Random blocks of trait Q with every f16 scale field replaced by a special value.
template <class Q>
std::vector<std::byte> random_blocks(std::mt19937_64& rng, std::size_t n_blocks) {
  std::vector<std::byte> bytes(n_blocks * Q::kBlockBytes);
  for (std::size_t i = 0; i < n_blocks; ++i) {
    typename Q::Block b;
    auto* p = reinterpret_cast<unsigned char*>(&b);
    for (std::size_t k = 0; k < sizeof b; ++k) p[k] = static_cast<unsigned char>(rng());
    b.d = special_f16(rng, i);
    if constexpr (requires { b.dmin; }) b.dmin = special_f16(rng, i / 8 + rng() % 8);
    std::memcpy(bytes.data() + i * Q::kBlockBytes, &b, sizeof b);
  }
  return bytes;
}

// Finite inputs, safe for every quantizer, in 32-element blocks of varied kinds.
std::vector<float> common_inputs(std::mt19937_64& rng) {
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::vector<float> x;
  for (std::size_t blk = 0; blk < 8192; ++blk) {
    float b[32];
    switch (blk % 8) {
      case 0:  // Gaussian at a random scale
      case 1: {
        const float s = std::ldexp(1.0f, static_cast<int>(rng() % 41) - 20);
        for (float& v : b) v = gauss(rng) * s;
        break;
      }
      case 2:  // Q8_0 ties: amax 127 -> d = 1, values k + 0.5
        for (float& v : b) v = static_cast<float>(static_cast<int>(rng() % 254) - 127) + 0.5f;
        b[rng() % 32] = (rng() & 1) ? 127.0f : -127.0f;
        break;
      case 3:  // Q4_0 exact grid: max -8 -> d = 1, x*id + 8.5 lands on k + 0.5 / integers
        for (float& v : b) v = static_cast<float>(static_cast<int>(rng() % 32) - 16) * 0.5f;
        b[rng() % 32] = (rng() & 1) ? -8.0f : 8.0f;
        break;
      case 4:  // zeros, with an occasional single nonzero
        for (float& v : b) v = 0.0f;
        if (rng() & 1) b[rng() % 32] = gauss(rng);
        break;
      case 5: {  // large: f16 overflow of values and of d
        const float s = std::ldexp(1.0f, static_cast<int>(rng() % 110) + 10);
        for (float& v : b) v = gauss(rng) * s;
        if (rng() % 4 == 0) b[rng() % 32] = std::numeric_limits<float>::max();
        break;
      }
      case 6: {  // tiny but d stays a normal f32 (f16 d underflows)
        const float s = std::ldexp(1.0f, -static_cast<int>(rng() % 90) - 20);
        for (float& v : b) v = gauss(rng) * s;
        b[0] = s;
        break;
      }
      default:  // f16 / bf16 ties: random f16 values plus half an f16 ulp, bf16 ones likewise
        for (std::size_t i = 0; i < 32; ++i) {
          const auto h = static_cast<std::uint16_t>((rng() % 0x7bff) | ((rng() & 1) << 15));
          std::uint32_t bits = std::bit_cast<std::uint32_t>(qvk::numerics::f16_bits_to_f32(h));
          bits += (i % 2 == 0) ? (1u << 12) : (1u << 15);
          b[i] = std::bit_cast<float>(bits);
        }
        break;
    }
    x.insert(x.end(), b, b + 32);
  }
  return x;
}

// Extra cases for the element-wise formats: specials, overflow edges, subnormals.
std::vector<float> float_specials(std::mt19937_64& rng, bool with_nan) {
  std::vector<float> x;
  for (std::uint32_t b : {0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x477fe000u, 0x477fefffu, 0x477ff000u,
                          0x7f7fffffu, 0x33000000u, 0x33000001u, 0x00000001u, 0x00800000u, 0x807fffffu, 0x387fe000u})
    x.push_back(std::bit_cast<float>(b));
  for (int i = 0; i < 100'000; ++i) {
    std::uint32_t b = static_cast<std::uint32_t>(rng());
    if (!with_nan && (b & 0x7f800000u) == 0x7f800000u) b &= ~0x00800000u;  // finite/inf only
    if (i % 3 == 0) b = (b & 0x80000000u) | (0x33000000u + b % 0x05800000u);  // f16 subnormal range
    x.push_back(std::bit_cast<float>(b));
  }
  if (with_nan)
    for (std::uint32_t b : {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7fbfffffu, 0xff812345u, 0x7fff8000u})
      x.push_back(std::bit_cast<float>(b));
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  try {
    g_out = argv[1];
    std::filesystem::create_directories(g_out);
    g_manifest.open(g_out / "manifest.tsv");
    std::mt19937_64 rng(kSeed);
    std::printf("qvk_quant_vectors: seed %llu -> %s\n", static_cast<unsigned long long>(kSeed), argv[1]);

    // Dequantization.
    {
      std::vector<std::byte> f32(4 * 65536);
      for (std::size_t i = 0; i < 65536; ++i) {
        std::uint32_t b = static_cast<std::uint32_t>(rng());
        if ((b & 0x7f800000u) == 0x7f800000u) b &= ~0x00800000u;
        std::memcpy(f32.data() + 4 * i, &b, 4);
      }
      dequant_case(Type::F32, f32);
      std::vector<std::byte> f16, bf16;
      for (std::uint32_t h = 0; h < 65536; ++h) {
        const auto lo = static_cast<std::byte>(h & 0xff), hi = static_cast<std::byte>(h >> 8);
        bf16.push_back(lo);  // every pattern, NaNs included (gguf-py widens with integer ops)
        bf16.push_back(hi);
        if ((h & 0x7c00u) == 0x7c00u && (h & 0x03ffu) != 0) continue;  // f16: every non-NaN pattern
        f16.push_back(lo);
        f16.push_back(hi);
      }
      dequant_case(Type::F16, f16);
      dequant_case(Type::BF16, bf16);
      dequant_case(Type::Q8_0, random_blocks<qvk::quant::Q8_0>(rng, 8192));
      dequant_case(Type::Q4_0, random_blocks<qvk::quant::Q4_0>(rng, 8192));
      dequant_case(Type::Q4_K, random_blocks<qvk::quant::Q4_K>(rng, 4096));
      dequant_case(Type::Q5_K, random_blocks<qvk::quant::Q5_K>(rng, 4096));
      dequant_case(Type::Q6_K, random_blocks<qvk::quant::Q6_K>(rng, 4096));
    }

    // Quantization.
    {
      const std::vector<float> common = common_inputs(rng);
      write_file("quant_common.f32", common.data(), common.size() * 4);
      for (Type t : {Type::Q8_0, Type::Q4_0}) quant_case(t, common, "quant_common.f32");

      std::vector<float> f16_in = common, bf16_in = common;
      const auto f16_extra = float_specials(rng, false), bf16_extra = float_specials(rng, true);
      f16_in.insert(f16_in.end(), f16_extra.begin(), f16_extra.end());
      bf16_in.insert(bf16_in.end(), bf16_extra.begin(), bf16_extra.end());
      write_file("quant_f16_input.f32", f16_in.data(), f16_in.size() * 4);
      write_file("quant_bf16_input.f32", bf16_in.data(), bf16_in.size() * 4);
      quant_case(Type::F16, f16_in, "quant_f16_input.f32");
      quant_case(Type::BF16, bf16_in, "quant_bf16_input.f32");
    }
    g_manifest.close();
    if (!g_manifest) throw std::runtime_error("cannot write manifest.tsv");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qvk_quant_vectors: %s\n", e.what());
    return 1;
  }
  return 0;
}
