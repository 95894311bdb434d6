#!/usr/bin/env bash
# bench/compare_cpu.sh — the CPU reference against llama.cpp's CPU backend on one GGUF,
# alternating the two engines for several rounds (the machine may be shared: the
# load average is printed before each run; compare rounds, not single runs).
#
#   bench/compare_cpu.sh BUILD_DIR MODEL [rounds=3] [threads=2] [prompt=512] [gen=128]
# Needs qvk_bench_cpu and llama_peer (configured with -DQVK_PEERS_DIR) in BUILD_DIR.
set -euo pipefail
build=${1:?BUILD_DIR}
model=${2:?MODEL}
rounds=${3:-3} threads=${4:-2} prompt=${5:-512} gen=${6:-128}
echo "# $(date -u +%FT%TZ) $(uname -n), $(nproc) cpus, model $model, threads $threads, pp$prompt tg$gen"
for r in $(seq "$rounds"); do
  echo "# round $r, load: $(cut -d' ' -f1-3 /proc/loadavg)"
  "$build/peer/llama_peer" bench "$model" --threads "$threads" --prompt "$prompt" --gen "$gen" --reps 3 2>/dev/null
  echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
  "$build/bench/qvk_bench_cpu" "$model" --threads "$threads" --prompt "$prompt" --gen "$gen" --reps 3
done
