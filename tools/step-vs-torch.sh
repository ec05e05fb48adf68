#!/usr/bin/env bash
# Runs the engine's DVAAN step bench and its PyTorch peer (benches/peer/torch_dvaan_step.py)
# back to back, so both see the machine in the same state, and prints both ms/step and their
# ratio. The engine's figure is criterion's mean time per step (steps pipelined, the GPU
# waited for at the end of each sample), the peer's its mean over --steps steps.
#
#   tools/step-vs-torch.sh
#   PYTHON=/path/to/venv/bin/python TORCH_ARGS="--threads 2 --steps 10" tools/step-vs-torch.sh
#
# PYTHON: an interpreter that can `import torch` (default python3). TORCH_ARGS: extra
# options for the peer (--device, --threads, --steps, --warmup, --csv).
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
if ! "$python" -c 'import torch' 2>/dev/null; then
    echo "error: $python cannot import torch; install it (pip install torch) or set PYTHON" \
        "to an interpreter that has it" >&2
    exit 2
fi
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then XDG_RUNTIME_DIR=$(mktemp -d); export XDG_RUNTIME_DIR; fi

target="${CARGO_TARGET_DIR:-target}"
estimates="$target/criterion/dvaan_step/batch64_28x28/new/estimates.json"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
touch "$scratch/start"

cargo bench --locked -p dvaan-benches --bench dvaan_step 2>&1 | tee "$scratch/rust.log"
if [ ! "$estimates" -nt "$scratch/start" ]; then
    echo "error: the step bench left no new result in $estimates" >&2
    exit 1
fi
# shellcheck disable=SC2086 # TORCH_ARGS is a list of options
"$python" benches/peer/torch_dvaan_step.py ${TORCH_ARGS:-} | tee "$scratch/torch.log"

"$python" - "$estimates" "$scratch/torch.log" <<'PY'
import json, re, sys
rust_ms = json.load(open(sys.argv[1]))["mean"]["point_estimate"] / 1e6
found = re.search(r"([0-9.]+) ms/step", open(sys.argv[2]).read())
if not found:
    sys.exit("error: no ms/step in the PyTorch peer's output")
torch_ms = float(found.group(1))
print(f"engine {rust_ms:.1f} ms/step, torch {torch_ms:.1f} ms/step, "
      f"engine/torch {rust_ms / torch_ms:.2f}")
PY
