#!/usr/bin/env bash
# Reproduces the paper's tables and figures at CPU scale: `dvaan experiment --preset cpu`
# (every method on Fashion-MNIST and MNIST at 1:5, and dvaan, vae-gan and cnn on Fashion-MNIST
# at 1:10, 1:20 and 1:50; 3 seeds; 1 epoch each). Builds in release, installs the Vulkan
# driver when none exists, fetches the data first.
#
#   tools/reproduce.sh                       the cpu preset into runs/reproduce
#   tools/reproduce.sh --preset paper        the paper's grid (for a GPU; needs CIFAR-10 and TIS)
#   tools/reproduce.sh --methods dvaan,cnn   any `dvaan experiment` flag overrides the preset
#
# Environment: OUT (default runs/reproduce), DATA_DIR (default data). Interrupting it is safe:
# running it again keeps the finished cells and resumes the interrupted one.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-runs/reproduce}
DATA_DIR=${DATA_DIR:-data}

tools/setup.sh
# Mesa prints a warning when this is unset; training needs no display.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then XDG_RUNTIME_DIR=$(mktemp -d); export XDG_RUNTIME_DIR; fi

echo "reproduce: building dvaan (release)"
cargo build --release --locked -p dvaan
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
DVAAN="${TARGET_DIR:-target}/release/dvaan"

for dataset in fashion-mnist mnist; do
    if ! "$DVAAN" data-info --dataset "$dataset" --data-dir "$DATA_DIR" >/dev/null 2>&1; then
        tools/fetch-data.sh "$DATA_DIR"
        break
    fi
done

preset=(--preset cpu)
for arg in "$@"; do
    if [ "$arg" = "--preset" ] || [[ "$arg" == --preset=* ]]; then preset=(); fi
done

start=$(date +%s)
"$DVAAN" experiment "${preset[@]}" --out "$OUT" --data-dir "$DATA_DIR" "$@"
echo "reproduce: finished in $(($(date +%s) - start)) s"
echo "reproduce: index of results:   $OUT/README.md"
echo "reproduce: tables (Markdown, CSV): $OUT/tables/ (roc_auc = Table 1, recon_mse = Table 3, pr_auc, g_mean)"
echo "reproduce: figures (SVG, PNG):     $OUT/figures/ (fig1 latent PCA, fig4 margin μ, fig5 ROC-AUC vs ratio, fig6 samples)"
echo "reproduce: every run:              $OUT/runs.csv and $OUT/cells/"
