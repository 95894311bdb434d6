#!/usr/bin/env bash
# Sets up, builds and runs every qvk test on a fresh Debian 12 machine:
#   1. Debian packages (scripts/setup_deps.sh)
#   2. llama.cpp peers via npm (scripts/fetch_peers.sh; if npm is unreachable
#      the peer tests report "Not Run", never passed)
#   3. Release build + full ctest (unit, tools, peers)
#   4. ASan+UBSan build + the unit and tools tests again, and the Vulkan (vk)
#      tests with LeakSanitizer off (lavapipe and the validation layer leak)
#   5. cmake --install, then two consumer projects built with find_package(qvk):
#      the GGUF reader and examples/custom_runtime (its own VkDevice; runs on lavapipe)
# Environment: QVK_BUILD_ROOT (default ./build), QVK_JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
root="${QVK_BUILD_ROOT:-$PWD/build}"
jobs="${QVK_JOBS:-$(nproc)}"
start=$(date +%s)
stage() { echo; echo "=== [$(( $(date +%s) - start ))s] $*"; }

stage "dependencies"
bash scripts/setup_deps.sh

stage "peers (llama.cpp via npm)"
peers="$PWD/.peers"
if ! bash scripts/fetch_peers.sh "$peers"; then
  echo "WARNING: peers unavailable; peer tests will be reported as skipped (Not Run)"
  peers=""
fi

stage "release build"
cmake -S . -B "$root/release" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQVK_PEERS_DIR="$peers" \
  -DCMAKE_INSTALL_PREFIX="$root/install"
cmake --build "$root/release" -j "$jobs"

stage "release tests"
ctest --test-dir "$root/release" --output-on-failure -j "$jobs"

stage "sanitizer build (ASan + UBSan)"
cmake -S . -B "$root/asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQVK_SANITIZE=ON -DQVK_PEERS_DIR=
cmake --build "$root/asan" -j "$jobs"

stage "sanitizer tests (unit + tools)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$root/asan" --output-on-failure -j "$jobs" -L 'unit|tools'

stage "sanitizer tests (Vulkan on lavapipe; LeakSanitizer off: the driver and validation layer leak at exit)"
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$root/asan" --output-on-failure -j "$jobs" -L vk

stage "install + find_package consumers (GGUF reader, custom_runtime)"
rm -rf "$root/install" "$root/consumer" "$root/custom_runtime"
cmake --install "$root/release" --prefix "$root/install"
cmake -S examples/find_package_consumer -B "$root/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$root/install"
cmake --build "$root/consumer"
"$root/consumer/qvk_consumer" "$root/install/share/qvk/ggml-vocab-qwen3.gguf"
# A runtime that owns its Vulkan objects records qvk ops; checked bit for bit on the CPU.
cmake -S examples/custom_runtime -B "$root/custom_runtime" -G Ninja -DCMAKE_PREFIX_PATH="$root/install"
cmake --build "$root/custom_runtime"
"$root/custom_runtime/qvk_custom_runtime"

stage "done: every stage passed"
