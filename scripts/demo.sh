#!/usr/bin/env bash
# Sets up, builds and runs example_generate on the default model: a
# Qwen3-0.6B-shaped Q4_K_M GGUF with seeded random weights and the real Qwen
# tokenizer, written on the first run (~400 MB under models/). No network
# reaches a model hub here, so the text is what random weights produce:
# fluent-looking token soup, streamed at the speed a real 0.6B model would run.
# Environment: QVK_BUILD_ROOT (default ./build), QVK_JOBS (default nproc),
# QVK_DEFAULT_MODEL (default models/qwen3-0.6b-q4_k_m.gguf).
# Extra arguments go to example_generate (e.g. --device vulkan, -n 64).
set -euo pipefail
cd "$(dirname "$0")/.."
root="${QVK_BUILD_ROOT:-$PWD/build}"
bash scripts/setup_deps.sh
cmake -S . -B "$root/release" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/release" -j "${QVK_JOBS:-$(nproc)}" --target example_generate qvk_make_model qvk_inspect
"$root/release/examples/example_generate/example_generate" --chat --no-think \
  --prompt "Write one sentence about the Vulkan API." -n 48 --seed 1 "$@"
