#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   1. the release build (-Werror) and all its tests (unit + command line),
#   2. an AddressSanitizer + UBSan build of the unit tests, and the
#      multi-node tests once more with its binaries,
#   3. the libFuzzer targets (tests/fuzz/), 30 s each.
# Usage: tests/run.sh            (from anywhere)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

./deploy/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)

echo "== build (release, -Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSADASYA_WERROR=ON >/dev/null
cmake --build build -j"$jobs"

echo "== tests"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== unit tests under AddressSanitizer + UBSan"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSADASYA_SANITIZE=ON \
      -DCMAKE_C_COMPILER=clang >/dev/null
cmake --build build-asan -j"$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j"$jobs" -R '^unit_')

echo "== multi-node tests under AddressSanitizer + UBSan"
# The sanitized sadasya and sadasyad, nodes on 127.0.0.1. Memory errors and
# undefined behaviour stop a node (and fail the test); leak reports are off
# here because the test tools (rawpeer) exit early on purpose.
(cd build-asan && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
   ctest --output-on-failure -j1 -R '^integration_')

echo "== fuzz targets (30 s each)"
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSADASYA_FUZZ=ON \
      -DSADASYA_WERROR=ON -DCMAKE_C_COMPILER=clang >/dev/null
cmake --build build-fuzz -j"$jobs" --target fuzz
(cd build-fuzz && ctest --output-on-failure -j"$jobs" -R '^fuzz_')

echo "== all tests passed"
