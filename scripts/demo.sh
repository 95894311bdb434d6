#!/usr/bin/env bash
# Sets up, builds, writes the default model and shows it.
# Today this stops at the model writer's output: example_generate (the text
# generation demo) arrives with the reference interpreter (issue #3).
# Environment: QVK_BUILD_ROOT (default ./build), QVK_MODEL (default
# models/qwen3-0.6b-q4_k_m.gguf), QVK_JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
root="${QVK_BUILD_ROOT:-$PWD/build}"
model="${QVK_MODEL:-$PWD/models/qwen3-0.6b-q4_k_m.gguf}"
bash scripts/setup_deps.sh
cmake -S . -B "$root/release" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/release" -j "${QVK_JOBS:-$(nproc)}" --target qvk_make_model qvk_inspect
mkdir -p "$(dirname "$model")"
if [[ ! -f "$model" ]]; then
  "$root/release/tools/qvk_make_model" --arch qwen3 --preset 0.6b --quant q4_k_m --seed 1 --out "$model"
fi
"$root/release/tools/qvk_inspect" "$model" | head -n 12
echo
echo "The default model is ready: $model"
echo "example_generate (text generation on cpu/vulkan) is not built yet: it lands with issue #3."
