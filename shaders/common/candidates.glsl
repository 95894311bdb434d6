// shaders/common/candidates.glsl — the sampler's candidate order on the GPU
// (GLSL mirror of qvk/runtime/sampler_candidates.hpp): sanitizing a logit and
// turning (logit, id) into a key whose order is the candidate order.
//
// A key is uvec2(order, id): `order` is an unsigned integer that increases with
// the sanitized logit (equal logits <-> equal orders, since sanitizing leaves
// no NaN and no −0), `id` the token id. Candidate a comes before b when
// a.order > b.order, or the orders are equal and a.id < b.id: a total order,
// so any reduction or sort in any thread order gives the same result.

// sanitize_logit on the bits: NaN -> −inf, +inf -> FLT_MAX, |z| <= FLT_MIN -> +0.
uint qvk_sanitize_logit_bits(uint b) {
  const uint mag = b & 0x7fffffffu;
  if (mag > 0x7f800000u) return 0xff800000u;
  if (b == 0x7f800000u) return 0x7f7fffffu;
  if (mag <= 0x00800000u) return 0u;
  return b;
}

// Monotone map of a (non-NaN) float's bits to uint: negatives reversed below
// positives. −inf maps to 0x007fffff, so order 0 is below every real key.
uint qvk_order_of_bits(uint b) { return (b & 0x80000000u) != 0u ? ~b : (b | 0x80000000u); }
uint qvk_bits_of_order(uint o) { return (o & 0x80000000u) != 0u ? (o & 0x7fffffffu) : ~o; }

uvec2 qvk_logit_key(uint logit_bits, uint id) {
  return uvec2(qvk_order_of_bits(qvk_sanitize_logit_bits(logit_bits)), id);
}

// Comes after every real key (order 0 is below −inf's 0x007fffff).
const uvec2 QVK_NO_CANDIDATE = uvec2(0u, 0xffffffffu);

bool qvk_precedes(uvec2 a, uvec2 b) { return a.x > b.x || (a.x == b.x && a.y < b.y); }
