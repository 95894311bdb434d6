#!/usr/bin/env bash
# bench/compare_gpu.sh — qvk's Vulkan runtime against llama.cpp's Vulkan backend on the same
# GGUFs and the same GPU, in one invocation: for each model, ROUNDS rounds of
# `qvk_bench generate` then `llama_peer bench --gpu`, the same protocol for both (prefill of
# PROMPT tokens, then GEN tokens decoded one at a time behind them; median of REPS runs after
# a warm-up; see bench/gpu/generate_bench.hpp and peer/cmd_bench.cpp).
#
#   bench/compare_gpu.sh BUILD_DIR PEERS_DIR MODEL...
#
# BUILD_DIR holds qvk_bench (BUILD_DIR/bench/qvk_bench, or a flat folder of binaries).
# PEERS_DIR is either an unpacked bench/pack_gpu_peer.sh tarball (llama-peer/, with its own
# llama_peer.sh) or the folder of scripts/fetch_peers.sh, with llama_peer in BUILD_DIR/peer/.
# Environment: PROMPT (512), GEN (128), REPS (3), ROUNDS (1), JSONL (compare_gpu.jsonl: every
# JSON line, a first {"meta":...} line with date, host and commit), QVK_ARGS / PEER_ARGS (extra
# arguments, e.g. QVK_ARGS=--profile; PEER_ARGS defaults to --greedy, so llama.cpp, like qvk,
# waits for each token id and feeds it back; PEER_ARGS= gives llama-bench's way, which never
# waits), QVK_DEVICE (qvk's device).
# llama.cpp's log goes to JSONL.log. bench/perf_chart.py JSONL turns the lines into a chart and a
# table. On lavapipe (no GPU) llama.cpp needs GGML_VK_VISIBLE_DEVICES=0.
set -euo pipefail
[[ $# -ge 3 ]] || { echo "usage: $0 BUILD_DIR PEERS_DIR MODEL..." >&2; exit 2; }
build=$1 peers=$2
shift 2
prompt=${PROMPT:-512} gen=${GEN:-128} reps=${REPS:-3} rounds=${ROUNDS:-1} out=${JSONL:-compare_gpu.jsonl}

qvk=""
for c in "$build/bench/qvk_bench" "$build/qvk_bench"; do [[ -x "$c" ]] && { qvk=$c; break; }; done
[[ -n "$qvk" ]] || { echo "compare_gpu.sh: no qvk_bench in $build or $build/bench" >&2; exit 2; }
peer=()
if [[ -x "$peers/llama_peer.sh" ]]; then
  peer=("$peers/llama_peer.sh")
else
  for c in "$build/peer/llama_peer" "$build/llama_peer"; do
    [[ -x "$c" ]] && { peer=(env "LD_LIBRARY_PATH=$peers/linux-x64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$c"); break; }
  done
fi
[[ ${#peer[@]} -gt 0 ]] || { echo "compare_gpu.sh: no llama_peer ($peers/llama_peer.sh, $build/peer/llama_peer)" >&2; exit 2; }
for m in "$@"; do [[ -f "$m" ]] || { echo "compare_gpu.sh: no model file '$m'" >&2; exit 2; }; done

when=$(date -u +%FT%TZ)
commit=$(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo unknown)
llama=$(sed -n 's/^LLAMA_CPP_\(RELEASE\|COMMIT\)=//p' "$peers/peers.env" 2>/dev/null | paste -sd' ' || true)
echo "# $when $(uname -n), qvk commit $commit, llama.cpp ${llama:-?}; pp$prompt then tg$gen, median of $reps, $rounds round(s)"
printf '{"meta":{"date":"%s","host":"%s","qvk_commit":"%s","llama_cpp":"%s","prompt":%s,"gen":%s,"reps":%s,"rounds":%s}}\n' \
  "$when" "$(uname -n)" "$commit" "${llama:-?}" "$prompt" "$gen" "$reps" "$rounds" >"$out"
: >"$out.log"
for m in "$@"; do
  for r in $(seq "$rounds"); do
    echo "# $m, round $r: qvk ($qvk)"
    tmp=$(mktemp)
    # shellcheck disable=SC2086  # QVK_ARGS is a list of words
    "$qvk" generate "$m" --prompt "$prompt" --gen "$gen" --reps "$reps" --json "$tmp" ${QVK_ARGS:-}
    cat "$tmp" >>"$out"
    echo "# device: $(sed -n 's/.*"device":"\([^"]*\)".*/\1/p' "$tmp")"
    rm -f "$tmp"
    echo "# $m, round $r: llama.cpp Vulkan (${peer[*]})"
    # shellcheck disable=SC2086
    "${peer[@]}" bench "$m" --gpu --prompt "$prompt" --gen "$gen" --reps "$reps" ${PEER_ARGS---greedy} 2>>"$out.log" |
      tee -a "$out"
  done
done
echo "# wrote $out ($(($(wc -l <"$out") - 1)) measurements); chart: bench/perf_chart.py $out chart.png --table table.md"
