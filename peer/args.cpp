// peer/args.cpp — the small argument parser of llama_peer (positionals, `--name value`, `--flag`).
#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include "peer.hpp"

namespace qvk::peer {

Args::Args(const char* command, std::vector<std::string> words, std::vector<std::string> known_options,
           std::vector<std::string> known_flags)
    : command_(command) {
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.rfind("--", 0) != 0) {
      positionals_.push_back(w);
      continue;
    }
    if (std::find(known_flags.begin(), known_flags.end(), w) != known_flags.end()) {
      if (flag(w)) throw UsageError(command_ + ": option " + w + " given twice");
      flags_.push_back(w);
      continue;
    }
    if (std::find(known_options.begin(), known_options.end(), w) == known_options.end()) {
      std::string known;
      for (const auto& k : known_options) known += (known.empty() ? "" : ", ") + k;
      for (const auto& k : known_flags) known += (known.empty() ? "" : ", ") + k;
      throw UsageError(command_ + ": unknown option '" + w + "'" +
                       (known.empty() ? std::string(" (it takes none)") : " (known: " + known + ")"));
    }
    if (i + 1 >= words.size()) throw UsageError(command_ + ": option " + w + " needs a value");
    if (has(w)) throw UsageError(command_ + ": option " + w + " given twice");
    options_.emplace_back(w, words[++i]);
  }
}

void Args::expect_positionals(std::size_t n, const char* usage) const {
  if (positionals_.size() != n)
    throw UsageError(command_ + ": expected " + std::to_string(n) + " argument(s), got " +
                     std::to_string(positionals_.size()) + "\nusage: llama_peer " + usage);
}

const std::string& Args::positional(std::size_t i, const char* what) const {
  if (i >= positionals_.size()) throw UsageError(command_ + ": missing " + what);
  return positionals_[i];
}

bool Args::flag(const std::string& name) const {
  return std::find(flags_.begin(), flags_.end(), name) != flags_.end();
}

bool Args::has(const std::string& name) const {
  return std::any_of(options_.begin(), options_.end(), [&](const auto& o) { return o.first == name; });
}

std::string Args::option(const std::string& name, const std::string& fallback) const {
  for (const auto& [k, v] : options_)
    if (k == name) return v;
  return fallback;
}

int Args::int_option(const std::string& name, int fallback, int min, int max) const {
  if (!has(name)) return fallback;
  const std::string v = option(name, "");
  int x = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || end != v.data() + v.size() || x < min || x > max)
    throw UsageError(command_ + ": " + name + " expects an integer in [" + std::to_string(min) + ", " +
                     std::to_string(max) + "], got '" + v + "'");
  return x;
}

}  // namespace qvk::peer
