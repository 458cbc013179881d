#!/usr/bin/env bash
# Configures and builds Skald with CMake + Ninja into ./build (or $BUILD_DIR).
# Extra arguments are passed to cmake, e.g. -DSKALD_WERROR=ON.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
ninja -C "$build" ${NINJA_TARGETS:-}
