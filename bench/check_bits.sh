#!/usr/bin/env bash
# bench/check_bits.sh — guards the CPU reference's bits while it is optimized.
#
#   bench/check_bits.sh record BUILD_DIR   writes BUILD_DIR/golden/hashes.txt
#   bench/check_bits.sh check  BUILD_DIR   re-runs and compares (exit 1 on any difference)
#
# check compares with BUILD_DIR/golden/hashes.txt if present, else with
# bench/golden_hashes.txt: the sums recorded from the reference before its SIMD
# kernels existed (commit 14bb978), valid on any machine since the logits are
# bit-exact by contract. Set GOLDEN=FILE to compare with another file.
#
# QVK_CHECK_QUICK=1 skips the Qwen3-0.6B shape (tiny models only: what ctest runs,
# test ReferenceBits.TinyModelLogitsMatchTheGoldenHashesOnEveryCpuPath, label bits).
#
# check runs everything once per kernel version (QVK_CPU_ISA, default
# "avx512 avx2 portable"; a version the CPU lacks falls back to the best one it has).
#
# Runs example_generate --dump-logits (greedy, every prompt position and every
# decoded token) on tiny models of every quant mix, both archs, tied and untied,
# a wide tiny model (more than kDotLanes blocks per row) and the Qwen3-0.6B
# Q4_K_M shape, and keeps the sha256 of each dump. The tiny prompt is longer
# than one attention chunk (ops::kAttnChunk) and one prefill chunk. Some tiny
# runs repeat with other thread counts under the same name: the bits must not
# depend on the thread count. Models are written into BUILD_DIR/models if missing.
set -euo pipefail
mode=${1:?record|check}
build=$(cd "${2:?BUILD_DIR}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
gen="$build/examples/example_generate/example_generate"
make="$build/tools/qvk_make_model"
models="$build/models"
golden="$build/golden/hashes.txt"
if [[ $mode == check && -z ${GOLDEN:-} && ! -f $golden ]]; then golden="$src/bench/golden_hashes.txt"; fi
golden=${GOLDEN:-$golden}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$models" "$build/golden"

model() {  # name, qvk_make_model args...
  local name=$1; shift
  [[ -f "$models/$name.gguf" ]] || "$make" --quiet --threads 2 --out "$models/$name.gguf" "$@"
  echo "$models/$name.gguf"
}

tiny_prompt="The quick brown fox jumps over the lazy dog. "
tiny_prompt="$tiny_prompt$tiny_prompt$tiny_prompt$tiny_prompt$tiny_prompt$tiny_prompt$tiny_prompt Then it said: 12345 + 678 = ?"
big_prompt="Explain in a few sentences why the sky is blue during the day and red at sunset, what Rayleigh scattering has to do with it, and why clouds look white or grey."

out="$work/hashes.txt"
run() {  # name, model, prompt, n, threads
  "$gen" --model "$2" --prompt "$3" -n "$4" --temp 0 --threads "$5" --dump-logits "$work/dump.bin" > "$work/stdout.txt" 2> "$work/stderr.txt" ||
    { cat "$work/stderr.txt"; exit 1; }
  echo "$(sha256sum < "$work/dump.bin" | cut -d' ' -f1)  $1 ($(stat -c %s "$work/dump.bin") bytes)" >> "$out"
  echo "$(tail -n1 "$out")   [$5 threads; $(tail -n1 "$work/stderr.txt" | tr -d '\n')]"
}

all_runs() {
: > "$out"
for q in q4_k_m q8_0 q4_0 q6_k f16 bf16 f32; do
  run "tiny_qwen3_$q" "$(model "tiny_qwen3_$q" --preset tiny --quant "$q")" "$tiny_prompt" 8 2
done
run tiny_qwen3_q4_k_m "$(model tiny_qwen3_q4_k_m)" "$tiny_prompt" 8 1
run tiny_qwen3_q4_k_m "$(model tiny_qwen3_q4_k_m)" "$tiny_prompt" 8 3
run tiny_qwen3_f32 "$(model tiny_qwen3_f32)" "$tiny_prompt" 8 3
run tiny_qwen3_q4_k_m_untied "$(model tiny_qwen3_q4_k_m_untied --preset tiny --quant q4_k_m --untied)" "$tiny_prompt" 8 2
run tiny_qwen3_q6_k_untied "$(model tiny_qwen3_q6_k_untied --preset tiny --quant q6_k --untied)" "$tiny_prompt" 8 2
run tiny_qwen2_q4_k_m "$(model tiny_qwen2_q4_k_m --arch qwen2 --preset tiny --quant q4_k_m)" "$tiny_prompt" 8 2
run tiny_qwen2_q8_0_untied "$(model tiny_qwen2_q8_0_untied --arch qwen2 --preset tiny --quant q8_0 --untied)" "$tiny_prompt" 8 2
run tiny_qwen2_f16 "$(model tiny_qwen2_f16 --arch qwen2 --preset tiny --quant f16)" "$tiny_prompt" 8 2
run tiny_qwen3_q4_k_m_wide "$(model tiny_qwen3_q4_k_m_wide --preset tiny --quant q4_k_m --hidden 512 --heads 4 --head-dim 128 --ffn 8448)" "$tiny_prompt" 8 2
run tiny_qwen3_q4_0_wide "$(model tiny_qwen3_q4_0_wide --preset tiny --quant q4_0 --hidden 512 --heads 4 --head-dim 128 --ffn 8448)" "$tiny_prompt" 8 2
[[ -n ${QVK_CHECK_QUICK:-} ]] ||
  run qwen3_0.6b_q4_k_m "$(model qwen3_0.6b_q4_k_m --preset 0.6b --quant q4_k_m)" "$big_prompt" 8 2
}

if [[ $mode == record ]]; then
  all_runs
  sort -u "$out" > "$golden"
  echo "recorded $(wc -l < "$golden") golden hashes in $golden"
else
  [[ -f $golden ]] || { echo "no golden file $golden; run record first"; exit 1; }
  if [[ -n ${QVK_CHECK_QUICK:-} ]]; then  # tiny models only (the ctest ReferenceBits.*)
    grep -v ' qwen3_0.6b_' "$golden" > "$work/golden_quick.txt"
    golden="$work/golden_quick.txt"
  fi
  status=0
  for isa in ${QVK_CHECK_ISAS:-avx512 avx2 portable}; do
    export QVK_CPU_ISA=$isa
    echo "== QVK_CPU_ISA=$isa"
    all_runs
    n=$(wc -l < "$out")
    if diff <(sort -u "$out") "$golden" > "$work/diff.txt"; then
      echo "OK ($isa): $n runs, all $(wc -l < "$golden") golden hashes unchanged"
    else
      echo "MISMATCH ($isa):"; cat "$work/diff.txt"; status=1
    fi
  done
  exit $status
fi
