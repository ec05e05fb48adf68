#!/usr/bin/env bash
# The engine's speed on this machine's GPU, in one command of at most about 8 minutes:
#   1. the adapter and its limits (`dvaan devices`);
#   2. a sweep of the convolution tile shapes over every product of a DVAAN step, and GEMM
#      at 1024³ and 4096³ (`gpu_sweep`; every measurement is appended to sweep.csv as it is
#      taken, so a run cut short still leaves its data);
#   3. the DVAAN step bench with the engine's default kernels, with the portable kernel
#      (the default before the workgroup-tiled one) and with the sweep's fastest tile;
#   4. the PyTorch peer of the same step (benches/peer/torch_dvaan_step.py) on the same card.
# Everything is also written under OUT_DIR (default target/gpu-bench).
#
#   tools/gpu-bench.sh [OUT_DIR]
#
# PYTHON: an interpreter with torch for step 4 (default python3; skipped if it has none).
# TORCH_DEVICE: the peer's device (default cuda). SWEEP_BUDGET_S: seconds for step 2
# (default 200). DVAAN_BIN_DIR: a folder with prebuilt release binaries `dvaan`, `gpu_sweep`
# and `dvaan_step` (the bench executable), for a machine without cargo; otherwise they are
# built here. GPU_BENCH_QUICK=1: tiny sizes, to check the script itself on any adapter.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/gpu-bench}"
mkdir -p "$out"
python="${PYTHON:-python3}"
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then XDG_RUNTIME_DIR=$(mktemp -d); export XDG_RUNTIME_DIR; fi
started=$(date +%s)
stage() { echo; echo "== [$(($(date +%s) - started)) s] $*"; }

if [ -n "${DVAAN_BIN_DIR:-}" ]; then
    dvaan="$DVAAN_BIN_DIR/dvaan" sweep="$DVAAN_BIN_DIR/gpu_sweep" step="$DVAAN_BIN_DIR/dvaan_step"
else
    stage "building (release)"
    cargo build --release --locked -p dvaan --bin dvaan -p dvaan-benches --bin gpu_sweep || exit 1
    step=$(cargo bench --locked -p dvaan-benches --bench dvaan_step --no-run \
        --message-format=json 2>/dev/null |
        sed -n 's/.*"executable":"\([^"]*dvaan_step[^"]*\)".*/\1/p' | tail -1)
    target="${CARGO_TARGET_DIR:-target}"
    dvaan="$target/release/dvaan" sweep="$target/release/gpu_sweep"
fi
for bin in "$dvaan" "$sweep" "$step"; do
    if [ ! -x "$bin" ]; then
        echo "error: no executable at '$bin' (build failed, or DVAAN_BIN_DIR lacks it)" >&2
        exit 1
    fi
done

if [ "${GPU_BENCH_QUICK:-0}" = 1 ]; then
    sweep_args=(--batch 4 --layers enc3 --tiles "32,32,8;64,32,8" --gemm 128)
    # A filter that matches no benchmark: the bench prints its three measured steps, then
    # criterion times nothing.
    step_args=(only-the-measured-steps)
    torch_args=(--steps 2 --warmup 1)
else
    sweep_args=()
    step_args=()
    torch_args=()
fi

stage "adapter"
"$dvaan" devices 2>&1 | tee "$out/devices.txt"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,clocks.max.sm,memory.total \
    --format=csv 2>&1 | tee -a "$out/devices.txt"

stage "tile sweep and GEMM (budget ${SWEEP_BUDGET_S:-200} s)"
rm -f "$out/sweep.csv" "$out/choice.txt"
timeout $((${SWEEP_BUDGET_S:-200} + 90)) "$sweep" --csv "$out/sweep.csv" \
    --choice "$out/choice.txt" --budget-s "${SWEEP_BUDGET_S:-200}" "${sweep_args[@]}" 2>&1 |
    tee "$out/sweep.txt"

chosen=$(cat "$out/choice.txt" 2>/dev/null || true)
for variant in default portable ${chosen:+"$chosen"}; do
    stage "DVAAN step, conv kernel: $variant"
    if [ "$variant" = default ]; then unset DVAAN_CONV_VARIANT; else export DVAAN_CONV_VARIANT="$variant"; fi
    timeout 120 "$step" --bench --noplot "${step_args[@]}" 2>&1 | tee "$out/step-${variant//[=,]/_}.txt"
done
unset DVAAN_CONV_VARIANT

stage "PyTorch peer (${TORCH_DEVICE:-cuda})"
if "$python" -c 'import torch' 2>/dev/null; then
    timeout 120 "$python" benches/peer/torch_dvaan_step.py --device "${TORCH_DEVICE:-cuda}" \
        --csv "$out/torch.csv" "${torch_args[@]}" 2>&1 | tee "$out/torch.txt"
else
    echo "skipped: $python cannot import torch (set PYTHON)" | tee "$out/torch.txt"
fi

stage "summary"
grep -h "ms/step" "$out"/step-*.txt "$out/torch.txt" 2>/dev/null
# The host's cost of a step beside the floor of its own dispatches (see docs/PERFORMANCE.md).
grep -h "^per step (mean\|recorded again in one compute pass\|no replay floor" \
    "$out"/step-*.txt 2>/dev/null
grep -h "^over \|^gemm " "$out/sweep.txt" 2>/dev/null
echo "files: $out (sweep.csv, step-*.txt, torch.txt); $(($(date +%s) - started)) s in all"
