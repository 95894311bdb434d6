#!/usr/bin/env bash
# scripts/gpu_check.sh — the GPU-only checks, run on a machine with a real GPU
# (the H100 test machine: ../shared/H100.md) from a folder of prebuilt binaries.
#
#   scripts/gpu_check.sh BIN_DIR OUT_DIR [property_cases=2000]
#
# BIN_DIR holds the test executables (qvk_vk_*tests, qvk_property_*) and
# optionally qvk_bench; every test runs with the device's own driver (set
# VK_DRIVER_FILES / QVK_DEVICE before), the property tests with
# RC_PARAMS="max_success=N" (fixed seed 20261122), then `qvk_bench ops`.
# Each program's full output goes to OUT_DIR/<name>.txt; a summary line per
# program is printed. Exit status 1 if any test program failed.
set -uo pipefail
bin=${1:?BIN_DIR}
out=${2:?OUT_DIR}
cases=${3:-2000}
mkdir -p "$out"
status=0
for t in "$bin"/qvk_vk_*tests "$bin"/qvk_property_*; do
  [[ -x $t ]] || continue
  name=$(basename "$t")
  start=$(date +%s)
  if [[ $name == qvk_property_* ]]; then
    RC_PARAMS="seed=20261122 max_success=$cases" "$t" > "$out/$name.txt" 2>&1
  else
    "$t" > "$out/$name.txt" 2>&1
  fi
  rc=$?
  [[ $rc == 0 ]] || status=1
  echo "$name: rc=$rc in $(( $(date +%s) - start )) s; $(grep -E '^\[  (PASSED|FAILED) ' "$out/$name.txt" | tr '\n' ' ')"
done
if [[ -x $bin/qvk_bench ]]; then
  "$bin/qvk_bench" ops --json "$out/qvk_bench_ops.json" > "$out/qvk_bench_ops.txt" 2>&1
  echo "qvk_bench ops: rc=$?"
fi
exit $status
