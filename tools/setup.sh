#!/usr/bin/env bash
# Makes sure a Vulkan driver exists. On a machine without a GPU, Mesa's software Vulkan
# driver (lavapipe) gives wgpu a real, if slow, device. Idempotent; needs root (or sudo) only
# when something must be installed.
set -euo pipefail

have_vulkan() {
    # Not `grep -q`: it exits at the first match, ldconfig then dies of SIGPIPE, and under
    # pipefail the pipeline reports failure.
    ldconfig -p 2>/dev/null | grep 'libvulkan\.so\.1' >/dev/null &&
        compgen -G '/usr/share/vulkan/icd.d/*.json' >/dev/null
}

if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo not found. Install the Rust toolchain (rustup) and run this again." >&2
    exit 1
fi

if have_vulkan; then
    exit 0
fi

echo "setup: no Vulkan driver found; installing Mesa's (mesa-vulkan-drivers, libvulkan1)" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "error: need root to install mesa-vulkan-drivers and libvulkan1; run as root or install them yourself." >&2
        exit 1
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: no apt-get here. Install a Vulkan driver for your GPU (or Mesa's lavapipe) and the Vulkan loader." >&2
    exit 1
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq mesa-vulkan-drivers libvulkan1 >/dev/null
have_vulkan || { echo "error: Vulkan driver still missing after install" >&2; exit 1; }
echo "setup: Vulkan driver installed" >&2
