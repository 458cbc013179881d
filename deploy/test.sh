#!/usr/bin/env bash
# The test command: installs dependencies, builds with warnings as errors, runs
# every unit, integration and conformance test (CTest), then builds the unit
# tests with ASan+UBSan and runs them. Exit status 0 only when all pass.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jobs="$(nproc)"

bash "$root/deploy/install-deps.sh"

echo "== build (-Werror)"
BUILD_DIR="$root/build" bash "$root/deploy/build.sh" -DSKALD_WERROR=ON -DSKALD_SANITIZE=OFF
echo "== tests"
(cd "$root/build" && ctest --output-on-failure -j "$jobs" --timeout 900)

if [ "${SKALD_SKIP_SANITIZE:-0}" != "1" ]; then
  echo "== unit tests under ASan+UBSan"
  BUILD_DIR="$root/build-asan" BUILD_TYPE=Debug bash "$root/deploy/build.sh" \
    -DSKALD_WERROR=ON -DSKALD_SANITIZE=ON -DSKALD_BENCH=OFF
  (cd "$root/build-asan" && ASAN_OPTIONS=detect_leaks=1 \
     ctest --output-on-failure -j "$jobs" --timeout 900 -E '^integration_')
fi
