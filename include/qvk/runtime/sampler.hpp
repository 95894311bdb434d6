// qvk/runtime/sampler.hpp — the token sampler: seeded, and defined entirely in
// the canonical arithmetic so a GPU mirror picks the same token as the CPU.
//
// The chain (llama.cpp's common default order, minus the samplers qvk lacks):
//   1. repetition penalty on the raw logits     (sampler_penalty.hpp)
//   2. sanitize + candidate order + top-k        (sampler_candidates.hpp)
//   3. top-p on the temperature-1 softmax of the top-k survivors
//   4. min-p on the same temperature-1 weights    (sampler_filters.hpp)
//   5. temperature softmax of the survivors and one draw u = rng(seed, step)
// Greedy (temperature 0 or top_k 1) is step 1 and then the first candidate.
// Top-p and min-p see temperature-1 probabilities, as in llama.cpp where the
// temperature sampler runs after them, so the same settings keep the same
// candidate set as there and the temperature only reshapes the final draw.
//
// sample_token() is the whole decision for given (penalized) logits and u, in
// plain spans: it is what a GPU kernel (greedy / top-k / top-p / min-p, with the
// token id read back) must reproduce bit for bit. Sampler adds the penalty, the
// parameter checks and the step counter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <vector>

#include "qvk/numerics/flush.hpp"
#include "qvk/runtime/sampler_candidates.hpp"
#include "qvk/runtime/sampler_filters.hpp"
#include "qvk/runtime/sampler_params.hpp"
#include "qvk/runtime/sampler_penalty.hpp"
#include "qvk/runtime/sampler_rng.hpp"

namespace qvk::runtime {

// What a sampling kernel needs besides the logits and u (push-constant sized).
struct SampleConfig {
  bool greedy = false;
  std::uint32_t top_k = 0;  // 0: all
  float top_p = 1.0f;
  float min_p = 0.0f;
  float inv_temp = 1.0f;  // inv_temperature(temperature); unused when greedy
};

inline SampleConfig make_sample_config(const SamplerParams& p) {
  validate(p);
  SampleConfig c;
  c.greedy = is_greedy(p);
  c.top_k = static_cast<std::uint32_t>(p.top_k);
  // The tiny-value rule on the two fractions a kernel compares or multiplies
  // as given (a device may flush a subnormal push constant): top_p <= FLT_MIN
  // becomes 0, which keeps the same single candidate (w1_0 = 1 reaches any
  // threshold that small); min_p <= FLT_MIN becomes 0, i.e. off.
  c.top_p = numerics::flush(p.top_p);
  c.min_p = numerics::flush(p.min_p);
  c.inv_temp = c.greedy ? 0.0f : inv_temperature(p.temperature);
  return c;
}

// Reusable buffers, so a decode loop does not allocate per token.
struct SampleScratch {
  std::vector<Candidate> candidates;
  std::vector<float> weights;
};

// The token drawn from an ordered candidate list (gather_candidates' output,
// at least one entry) with draw u in [0, 1): everything of the chain after
// top-k. This is what the GPU's ops::SampleCandidates computes from TopKMerge's
// list; min-p compacts `c` in place, `w` is scratch.
inline std::int32_t sample_candidates(std::span<Candidate> c, const SampleConfig& config, float u,
                                      std::vector<float>& w) {
  if (c.empty()) throw std::invalid_argument("sample_candidates: no candidates");
  // Every logit NaN or -inf: all tie, and the first in order (the lowest id) wins.
  if (c[0].logit == -std::numeric_limits<float>::infinity()) return c[0].id;

  std::size_t n = c.size();
  if (config.top_p < 1.0f || config.min_p > 0.0f) {
    unit_weights(c, w);
    n = top_p_count(w, config.top_p);
    if (config.min_p > 0.0f) n = min_p_filter(c.first(n), std::span<float>(w.data(), n), config.min_p);
  }
  if (n == 1) return c[0].id;
  temperature_weights(c.first(n), config.inv_temp, w);
  return c[select_index(w, u)].id;
}

// The token for `logits` (already penalized; sanitized here) and draw u in [0, 1).
inline std::int32_t sample_token(std::span<const float> logits, const SampleConfig& config, float u,
                                 SampleScratch& scratch) {
  if (logits.empty()) throw std::invalid_argument("sample_token: empty logits");
  if (config.greedy) return greedy_token(logits);
  gather_candidates(logits, config.top_k, scratch.candidates);
  return sample_candidates(scratch.candidates, config, u, scratch.weights);
}

class Sampler {
 public:
  // Throws std::invalid_argument for bad parameters (see validate()).
  explicit Sampler(SamplerParams params) : params_(params), config_(make_sample_config(params)) {}

  // The next token. `history` is the token sequence so far (prompt and
  // generated); its last repeat_last_n entries are penalized. Consumes draw
  // number step() (greedy calls too, so a step is always one token) and
  // advances it.
  std::int32_t sample(std::span<const float> logits, std::span<const std::int32_t> history) {
    if (logits.empty()) throw std::invalid_argument("Sampler::sample: empty logits");
    if (logits.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
      throw std::invalid_argument("Sampler::sample: vocabulary larger than int32 token ids");
    const float u = rng_uniform(params_.seed, step_);
    std::span<const float> z = logits;
    if (params_.repeat_penalty != 1.0f && params_.repeat_last_n > 0 && !history.empty()) {
      penalized_.assign(logits.begin(), logits.end());
      apply_repeat_penalty(penalized_, history, static_cast<std::size_t>(params_.repeat_last_n),
                           params_.repeat_penalty);
      z = penalized_;
    }
    const std::int32_t token = sample_token(z, config_, u, scratch_);
    ++step_;
    return token;
  }

  // The draw u of step() for a device that samples itself (VkForward::
  // eval_sample), advancing the step as sample() does; valid only where the
  // penalty is off (the device does not apply it).
  float next_draw() {
    const float u = rng_uniform(params_.seed, step_);
    ++step_;
    return u;
  }

  const SamplerParams& params() const { return params_; }
  const SampleConfig& config() const { return config_; }
  // Index of the next draw; set_step(0) restarts the sequence (e.g. a new prompt).
  std::uint64_t step() const { return step_; }
  void set_step(std::uint64_t step) { step_ = step; }

 private:
  SamplerParams params_;
  SampleConfig config_;
  std::uint64_t step_ = 0;
  std::vector<float> penalized_;
  SampleScratch scratch_;
};

}  // namespace qvk::runtime
