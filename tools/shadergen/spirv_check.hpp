// tools/shadergen/spirv_check.hpp — the build-time guard of the numerics
// contract on a SPIR-V disassembly (spirv-dis --raw-id output).
//
// Why: lavapipe never fuses a*b+c, so a missing `precise` only shows on a GPU.
// This check makes it a build error instead: every OpFAdd/OpFSub/OpFMul/
// OpVectorTimesScalar result must carry the NoContraction decoration, and no
// instruction whose rounding the driver chooses may appear (fma, division,
// sqrt/exp/log/trig/pow builtins, dot/matrix products).
#pragma once

#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace qvk::shadergen {

// Returns one message per violation (empty: the module passes).
inline std::vector<std::string> check_disassembly(const std::string& text) {
  static const std::set<std::string> kNeedNoContraction{"OpFAdd", "OpFSub", "OpFMul", "OpVectorTimesScalar"};
  static const std::set<std::string> kBannedOps{
      "OpFDiv",          "OpFRem",          "OpFMod",
      "OpDot",           "OpMatrixTimesScalar", "OpVectorTimesMatrix",
      "OpMatrixTimesVector", "OpMatrixTimesMatrix", "OpOuterProduct"};
  static const std::set<std::string> kBannedExt{
      "Fma", "Sqrt", "InverseSqrt", "Exp", "Exp2", "Log", "Log2", "Pow", "Sin", "Cos", "Tan", "Asin",
      "Acos", "Atan", "Atan2", "Sinh", "Cosh", "Tanh", "Asinh", "Acosh", "Atanh", "Ldexp", "Frexp",
      "Normalize", "Length", "Distance", "Cross", "Reflect", "Refract", "FaceForward", "Modf", "ModfStruct"};

  std::set<std::string> no_contraction;
  struct Arith {
    std::string id, op;
    int line;
  };
  std::vector<Arith> arith;
  std::vector<std::string> errors;
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string t; words >> t;) w.push_back(t);
    if (w.empty()) continue;
    if (w[0] == "OpDecorate" && w.size() >= 3 && w[2] == "NoContraction") no_contraction.insert(w[1]);
    if (w.size() >= 3 && w[1] == "=") {
      const std::string& op = w[2];
      if (kNeedNoContraction.count(op)) arith.push_back({w[0], op, number});
      if (kBannedOps.count(op)) errors.push_back("line " + std::to_string(number) + ": banned instruction " + op);
      if (op == "OpExtInst" && w.size() >= 6 && kBannedExt.count(w[5]))
        errors.push_back("line " + std::to_string(number) + ": banned extended instruction " + w[5]);
    }
  }
  for (const Arith& a : arith)
    if (!no_contraction.count(a.id))
      errors.push_back("line " + std::to_string(a.line) + ": " + a.op + " " + a.id +
                       " lacks NoContraction (a float op is missing `precise`)");
  return errors;
}

}  // namespace qvk::shadergen
