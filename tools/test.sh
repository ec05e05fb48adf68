#!/usr/bin/env bash
# Sets up what the tests need (a Vulkan driver) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
# Mesa prints a warning when this is unset; the tests need no display.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then XDG_RUNTIME_DIR=$(mktemp -d); export XDG_RUNTIME_DIR; fi
cargo test --workspace --locked "$@"
