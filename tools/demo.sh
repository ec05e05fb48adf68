#!/usr/bin/env bash
# Trains DVAAN on real data and prints the result: Fashion-MNIST sandal (positive) vs sneaker,
# 1:5 imbalance, the defaults of docs/DESIGN.md §5.5. Installs the Vulkan driver when none
# exists and fetches the data first.
#
#   tools/demo.sh              two epochs (about 12 minutes on a 2-core CPU under lavapipe)
#   DEMO_EPOCHS=3 tools/demo.sh
#
# Environment: DEMO_EPOCHS (default 2), DEMO_OUT (default runs/demo-fashion-mnist-r5),
# DATA_DIR (default data), DEMO_SEED (default 0). Extra arguments go to `dvaan train`
# (e.g. --adapter NAME). The demo's own output folder is replaced on every run. Losses are
# read back every 10 steps (not the default 50) so that the progress bar moves on a slow CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

EPOCHS=${DEMO_EPOCHS:-2}
OUT=${DEMO_OUT:-runs/demo-fashion-mnist-r5}
DATA_DIR=${DATA_DIR:-data}
SEED=${DEMO_SEED:-0}

tools/setup.sh
# Mesa prints a warning when this is unset; training needs no display.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then XDG_RUNTIME_DIR=$(mktemp -d); export XDG_RUNTIME_DIR; fi

echo "demo: building dvaan (release)"
cargo build --release --locked -p dvaan
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
DVAAN="${TARGET_DIR:-target}/release/dvaan"

if ! "$DVAAN" data-info --dataset fashion-mnist --data-dir "$DATA_DIR" >/dev/null 2>&1; then
    tools/fetch-data.sh "$DATA_DIR"
fi
"$DVAAN" data-info --dataset fashion-mnist --data-dir "$DATA_DIR" --ratio 5 --seed "$SEED"

echo "demo: training DVAAN for $EPOCHS epoch(s) into $OUT"
start=$(date +%s)
"$DVAAN" train --dataset fashion-mnist --data-dir "$DATA_DIR" --ratio 5 --method dvaan \
    --epochs "$EPOCHS" --batch 64 --latent 32 --seed "$SEED" --log-every 10 --out "$OUT" --force "$@"
echo "demo: finished in $(($(date +%s) - start)) s; metrics in $OUT/metrics.json, per-step losses in $OUT/history.csv"
echo "demo: re-evaluate with: $DVAAN eval --checkpoint $OUT"
