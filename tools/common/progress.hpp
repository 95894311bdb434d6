// tools/common/progress.hpp — a byte-count progress bar on stderr.
//
// On a terminal it redraws one line; in a log (CI) it prints a line every 10%
// so long runs show life without flooding the log.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace qvk::tools {

class Progress {
 public:
  Progress(const char* what, std::uint64_t total, bool enabled)
      : what_(what), total_(total), enabled_(enabled), tty_(isatty(2) != 0), start_(Clock::now()) {}

  void update(std::uint64_t done) {
    if (!enabled_ || total_ == 0) return;
    const int pct = static_cast<int>(done * 100 / total_);
    if (tty_) {
      if (pct == last_pct_ && done != total_) return;
      const int bar = pct / 4;
      std::fprintf(stderr, "\r%s [%.*s%*s] %3d%% %8.1f / %.1f MB  %6.1f MB/s", what_, bar,
                   "#########################", 25 - bar, "", pct, mb(done), mb(total_), mb(done) / seconds());
      if (done == total_) std::fputc('\n', stderr);
    } else if (pct / 10 != last_pct_ / 10 || done == total_) {
      std::fprintf(stderr, "%s %3d%% (%.1f / %.1f MB, %.1f MB/s)\n", what_, pct, mb(done), mb(total_),
                   mb(done) / seconds());
    }
    last_pct_ = pct;
  }
  double seconds() const {
    const double s = std::chrono::duration<double>(Clock::now() - start_).count();
    return s > 1e-9 ? s : 1e-9;
  }

 private:
  using Clock = std::chrono::steady_clock;
  static double mb(std::uint64_t b) { return static_cast<double>(b) / 1e6; }
  const char* what_;
  std::uint64_t total_;
  bool enabled_, tty_;
  Clock::time_point start_;
  int last_pct_ = -1;
};

}  // namespace qvk::tools
