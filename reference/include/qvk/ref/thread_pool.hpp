// qvk/ref/thread_pool.hpp — a fixed pool that runs `fn(begin, end)` over a range
// split into contiguous parts, one per thread. Work is split by output rows,
// whose values do not depend on the split, so results are the same for any
// thread count.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace qvk::ref {

class ThreadPool {
 public:
  explicit ThreadPool(unsigned n_threads) : n_(std::max(1u, n_threads)) {
    for (unsigned t = 1; t < n_; ++t) workers_.emplace_back([this, t] { worker(t); });
  }
  ~ThreadPool() {
    {
      std::lock_guard lk(m_);
      stop_ = true;
      ++generation_;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return n_; }

  // Runs fn(begin, end) on [0, n) split in `size()` parts (aligned to `grain`);
  // returns when all parts are done. Not reentrant.
  void parallel_for(std::size_t n, std::size_t grain, const std::function<void(std::size_t, std::size_t)>& fn) {
    if (n == 0) return;
    if (n_ == 1 || n <= grain) {
      fn(0, n);
      return;
    }
    {
      std::lock_guard lk(m_);
      job_ = &fn;
      n_items_ = n;
      grain_ = std::max<std::size_t>(1, grain);
      pending_ = n_ - 1;
      ++generation_;
    }
    cv_.notify_all();
    run_part(0);
    std::unique_lock lk(m_);
    done_cv_.wait(lk, [this] { return pending_ == 0; });
    job_ = nullptr;
  }

 private:
  void run_part(unsigned t) {
    const std::size_t blocks = (n_items_ + grain_ - 1) / grain_;
    const std::size_t b0 = blocks * t / n_, b1 = blocks * (t + 1) / n_;
    const std::size_t begin = std::min(n_items_, b0 * grain_), end = std::min(n_items_, b1 * grain_);
    if (begin < end) (*job_)(begin, end);
  }
  void worker(unsigned t) {
    std::size_t seen = 0;
    for (;;) {
      {
        std::unique_lock lk(m_);
        cv_.wait(lk, [&] { return generation_ != seen; });
        seen = generation_;
        if (stop_) return;
      }
      run_part(t);
      {
        std::lock_guard lk(m_);
        if (--pending_ == 0) done_cv_.notify_one();
      }
    }
  }

  unsigned n_;
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(std::size_t, std::size_t)>* job_ = nullptr;
  std::size_t n_items_ = 0, grain_ = 1, generation_ = 0;
  unsigned pending_ = 0;
  bool stop_ = false;
};

}  // namespace qvk::ref
