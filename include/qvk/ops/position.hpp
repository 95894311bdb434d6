// qvk/ops/position.hpp — where position-dependent ops (RoPE, KV-cache append)
// take the position of their first row from.
//
// PushConstant: the host records the position (prefill chunks, or a decode
// step recorded fresh each token). Buffer: the op also reads pos[0] from a
// one-uint storage buffer and adds it, so a runtime can record one command
// buffer and replay it every token after writing the new position into that
// buffer. In both forms row r of a problem has position pos0 + r (+ pos[0]).
#pragma once

namespace qvk::ops {

enum class PositionFrom { PushConstant, Buffer };

}  // namespace qvk::ops
