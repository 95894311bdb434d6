// qvk_bench_gemm — times the CPU reference's GEMM alone over every matrix of a model
// (all layers, then the LM head), as one forward pass would, for B activation
// vectors. Reports the best and median of --reps passes per weight type (best-of-N
// is the steadier figure on a shared machine). Not a test: prints JSON.
//
//   qvk_bench_gemm MODEL [--threads N] [--batch B] [--reps N] [--layers N]
// --layers N: only the first N layers and no LM head (N = 1 fits in the L3 cache:
// compute speed without the memory stream).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "qvk/model/model_file.hpp"
#include "qvk/model/weights.hpp"
#include "qvk/ref/cpu_features.hpp"
#include "qvk/ref/gemm.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs("usage: qvk_bench_gemm MODEL [--threads N] [--batch B] [--reps N]\n", stderr);
    return 2;
  }
  int threads = 1, batch = 1, reps = 5, layers = -1;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (a == "--threads") threads = v;
    else if (a == "--batch") batch = v;
    else if (a == "--reps") reps = v;
    else if (a == "--layers") layers = v;
  }
  using Clock = std::chrono::steady_clock;
  const auto m = qvk::model::open_model(argv[1]);
  const auto w = qvk::model::map_weights(m);
  std::vector<qvk::model::TensorView> mats;
  for (std::size_t i = 0; i < w.layers.size() && (layers < 0 || int(i) < layers); ++i)
    for (const auto* t : {&w.layers[i].wq, &w.layers[i].wk, &w.layers[i].wv, &w.layers[i].wo, &w.layers[i].gate,
                          &w.layers[i].up, &w.layers[i].down})
      mats.push_back(*t);
  if (layers < 0) mats.push_back(w.lm_head);
  std::size_t max_cols = 0, max_rows = 0;
  for (const auto& t : mats) max_cols = std::max<std::size_t>(max_cols, t.cols), max_rows = std::max<std::size_t>(max_rows, t.rows);
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(std::size_t(batch) * max_cols), y(std::size_t(batch) * max_rows);
  for (float& v : x) v = nd(rng);
  qvk::ref::ThreadPool pool{static_cast<unsigned>(threads)};
  std::map<std::string, std::vector<double>> secs;
  for (int r = 0; r <= reps; ++r) {
    std::map<std::string, double> pass;
    for (const auto& t : mats) {
      const auto t0 = Clock::now();
      qvk::ref::gemm(t, x.data(), std::size_t(batch), y.data(), pool);
      pass[std::string(qvk::quant::name(t.type)) + (layers < 0 && &t == &mats.back() ? "_lm_head" : "")] +=
          std::chrono::duration<double>(Clock::now() - t0).count();
    }
    if (r > 0)  // the first pass warms up
      for (auto& [k, v] : pass) secs[k].push_back(v);
  }
  std::printf("{\"isa\":\"%s\",\"threads\":%d,\"batch\":%d", qvk::ref::isa_name(qvk::ref::cpu_isa()), threads, batch);
  double best_total = 0;
  for (auto& [k, v] : secs) {
    std::sort(v.begin(), v.end());
    best_total += v.front();
    std::printf(",\"%s_ms\":{\"best\":%.2f,\"median\":%.2f}", k.c_str(), 1e3 * v.front(), 1e3 * v[v.size() / 2]);
  }
  std::printf(",\"best_total_ms\":%.2f}\n", 1e3 * best_total);
  return 0;
}
