// qvk/ref/thread_pool.hpp — a fixed pool that runs `fn(begin, end)` over parts of
// a range. Work is split by output rows (or positions), whose values do not
// depend on the split, so results are the same for any thread count and any
// schedule; the split is therefore dynamic ("guided"): threads claim chunks from a
// shared counter, each a multiple of `grain` and about remaining / (2 · threads)
// items, until none are left — big chunks first, small ones at the end, so the
// threads finish together and one that the OS descheduled (the machine may be
// shared) delays nobody.
//
// Decode calls parallel_for a few hundred times per token, so the hand-off must
// be cheap: no std::function, no allocation, and idle workers spin on an atomic
// for a while (kSpin) before sleeping on it (C++20 atomic wait, a futex).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace qvk::ref {

class ThreadPool {
 public:
  explicit ThreadPool(unsigned n_threads) : n_(std::max(1u, n_threads)) {
    for (unsigned t = 1; t < n_; ++t) workers_.emplace_back([this] { worker(); });
  }
  ~ThreadPool() {
    stop_.store(true);
    gen_.fetch_add(1);
    gen_.notify_all();
    for (auto& w : workers_) w.join();
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return n_; }

  // Runs fn(begin, end) over disjoint parts covering [0, n) (each part a multiple
  // of `grain` items except at the end); returns when all parts are done. Not
  // reentrant: fn must not call parallel_for.
  template <class Fn>
  void parallel_for(std::size_t n, std::size_t grain, const Fn& fn) {
    if (n == 0) return;
    grain = std::max<std::size_t>(1, grain);
    if (n_ == 1 || n <= grain || n >= (std::size_t{1} << 31)) {  // the claim counter holds 31-bit indices
      fn(std::size_t{0}, n);
      return;
    }
    const std::uint32_t g = gen_.load(std::memory_order_relaxed) + 1;
    Job& job = jobs_[g & 1];
    job.call.store(&call<Fn>, std::memory_order_relaxed);
    job.fn.store(&fn, std::memory_order_relaxed);
    job.n.store(n, std::memory_order_relaxed);
    job.grain.store(grain, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    next_.store(std::uint64_t{g} << 32, std::memory_order_release);
    gen_.store(g);  // seq_cst: pairs with sleeping_ below
    if (sleeping_.load() > 0) gen_.notify_all();
    run(g);
    while (done_.load(std::memory_order_acquire) != n) pause();
  }

 private:
  struct Job {
    std::atomic<void (*)(const void*, std::size_t, std::size_t)> call{nullptr};
    std::atomic<const void*> fn{nullptr};
    std::atomic<std::size_t> n{0}, grain{1};
  };
  static constexpr auto kSpin = std::chrono::microseconds(300);

  template <class Fn>
  static void call(const void* fn, std::size_t begin, std::size_t end) {
    (*static_cast<const Fn*>(fn))(begin, end);
  }
  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
  }

  // Claims and runs chunks of job g until none are left. A claim succeeds only
  // while next_ still belongs to job g, so a late thread never runs another job.
  void run(std::uint32_t g) {
    const Job& job = jobs_[g & 1];
    const std::size_t n = job.n.load(std::memory_order_relaxed), grain = job.grain.load(std::memory_order_relaxed);
    const auto call_fn = job.call.load(std::memory_order_relaxed);
    const void* fn = job.fn.load(std::memory_order_relaxed);
    std::uint64_t v = next_.load(std::memory_order_acquire);
    for (;;) {
      if ((v >> 32) != g) return;
      const std::size_t begin = v & 0xffffffffu;
      if (begin >= n) return;
      const std::size_t want = (n - begin) / (2 * std::size_t{n_});
      const std::size_t chunk = std::max(grain, (want + grain - 1) / grain * grain);
      if (!next_.compare_exchange_weak(v, v + chunk, std::memory_order_acq_rel)) continue;
      const std::size_t end = std::min(n, begin + chunk);
      call_fn(fn, begin, end);
      done_.fetch_add(end - begin, std::memory_order_release);
      v = next_.load(std::memory_order_acquire);
    }
  }

  void worker() {
    std::uint32_t seen = gen_.load();
    for (;;) {
      std::uint32_t g = gen_.load(std::memory_order_acquire);
      if (g == seen) {
        const auto t0 = std::chrono::steady_clock::now();
        for (unsigned i = 0; (g = gen_.load(std::memory_order_acquire)) == seen; ++i) {
          pause();
          if ((i & 255) == 255 && std::chrono::steady_clock::now() - t0 > kSpin) {
            sleeping_.fetch_add(1);
            gen_.wait(seen);
            sleeping_.fetch_sub(1);
          }
        }
      }
      seen = g;
      if (stop_.load()) return;
      run(g);
    }
  }

  unsigned n_;
  std::vector<std::thread> workers_;
  Job jobs_[2];
  alignas(64) std::atomic<std::uint32_t> gen_{0};
  alignas(64) std::atomic<std::uint64_t> next_{0};
  alignas(64) std::atomic<std::size_t> done_{0};
  std::atomic<unsigned> sleeping_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace qvk::ref
