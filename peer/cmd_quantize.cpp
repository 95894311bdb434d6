// peer/cmd_quantize.cpp — `llama_peer quantize IN OUT FTYPE`: llama.cpp's own quantizer
// (its tensor-type recipe included, e.g. Q4_K_M keeps some tensors at Q6_K).
#include <array>
#include <filesystem>
#include <string>
#include <string_view>

#include "llama.h"
#include "peer.hpp"

namespace qvk::peer {
namespace {

struct FtypeName {
  std::string_view name;
  llama_ftype ftype;
};
constexpr std::array kFtypes{
    FtypeName{"f16", LLAMA_FTYPE_MOSTLY_F16},       FtypeName{"q8_0", LLAMA_FTYPE_MOSTLY_Q8_0},
    FtypeName{"q4_0", LLAMA_FTYPE_MOSTLY_Q4_0},     FtypeName{"q4_k_m", LLAMA_FTYPE_MOSTLY_Q4_K_M},
    FtypeName{"q5_k_m", LLAMA_FTYPE_MOSTLY_Q5_K_M}, FtypeName{"q6_k", LLAMA_FTYPE_MOSTLY_Q6_K},
};

llama_ftype parse_ftype(const std::string& s) {
  std::string lower;
  for (char c : s) lower += static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  std::string known;
  for (const auto& f : kFtypes) {
    if (f.name == lower) return f.ftype;
    known += (known.empty() ? "" : ", ") + std::string(f.name);
  }
  throw UsageError("quantize: unknown FTYPE '" + s + "' (known: " + known + ")");
}

}  // namespace

int run_quantize(const Args& args) {
  args.expect_positionals(3, "quantize IN OUT FTYPE [--threads N]");
  const std::string in = args.positional(0, "IN");
  const std::string out = args.positional(1, "OUT");
  const llama_ftype ftype = parse_ftype(args.positional(2, "FTYPE"));
  const int threads = args.int_option("--threads", 2, 1, 256);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(in, ec)) throw UsageError("quantize: input '" + in + "' does not exist or is not a file");
  if (std::filesystem::equivalent(in, out, ec)) throw UsageError("quantize: OUT must differ from IN");

  llama_model_quantize_params qp = llama_model_quantize_default_params();
  qp.nthread = threads;
  qp.ftype = ftype;
  if (llama_model_quantize(in.c_str(), out.c_str(), &qp) != 0)
    throw PeerError("llama.cpp failed to quantize '" + in + "' to " + llama_ftype_name(ftype) + " (see its messages above)");
  return 0;
}

}  // namespace qvk::peer
