// tools/common/args.hpp — strict command-line parsing for the qvk tools.
//
// Every flag is declared; an unknown flag, a missing value or a value that does
// not parse is a UsageError naming the flag and what was wrong.
#pragma once

#include <charconv>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace qvk::tools {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  // `with_value`: flags that take a value; `switches`: flags that do not.
  Args(int argc, char** argv, const std::vector<std::string>& with_value, const std::vector<std::string>& switches) {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a.size() > 2 && a.rfind("--", 0) == 0) {
        std::string value;
        bool inline_value = false;
        if (auto eq = a.find('='); eq != std::string::npos) {
          value = a.substr(eq + 1);
          a = a.substr(0, eq);
          inline_value = true;
        }
        if (contains(with_value, a)) {
          if (!inline_value) {
            if (i + 1 >= argc) throw UsageError(a + " expects a value");
            value = argv[++i];
          }
          values_[a] = value;
        } else if (contains(switches, a)) {
          if (inline_value) throw UsageError(a + " takes no value");
          values_[a] = "";
        } else {
          throw UsageError("unknown flag " + a + " (see --help)");
        }
      } else if (a == "-h") {
        values_["--help"] = "";
      } else if (a == "-n" && contains(with_value, "-n")) {
        if (i + 1 >= argc) throw UsageError("-n expects a value");
        values_["-n"] = argv[++i];
      } else {
        positional_.push_back(a);
      }
    }
  }

  bool has(const std::string& flag) const { return values_.count(flag) != 0; }
  std::optional<std::string> get(const std::string& flag) const {
    auto it = values_.find(flag);
    return it == values_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  const std::vector<std::string>& positional() const { return positional_; }

  // An integer in [lo, hi]; the error names the flag and the text given.
  std::optional<std::uint64_t> get_uint(const std::string& flag, std::uint64_t lo = 0,
                                        std::uint64_t hi = std::numeric_limits<std::uint64_t>::max()) const {
    auto s = get(flag);
    if (!s) return std::nullopt;
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (ec != std::errc() || end != s->data() + s->size() || s->empty())
      throw UsageError(flag + " expects a non-negative integer, got '" + *s + "'");
    if (v < lo || v > hi)
      throw UsageError(flag + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + *s);
    return v;
  }
  std::optional<double> get_double(const std::string& flag) const {
    auto s = get(flag);
    if (!s) return std::nullopt;
    try {
      std::size_t pos = 0;
      double v = std::stod(*s, &pos);
      if (pos != s->size()) throw std::invalid_argument("trailing");
      return v;
    } catch (const std::exception&) {
      throw UsageError(flag + " expects a number, got '" + *s + "'");
    }
  }

 private:
  static bool contains(const std::vector<std::string>& v, const std::string& s) {
    for (const auto& x : v)
      if (x == s) return true;
    return false;
  }
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace qvk::tools
