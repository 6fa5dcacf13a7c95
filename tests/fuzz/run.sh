#!/usr/bin/env bash
# run.sh — builds the libFuzzer targets (clang, ASan + UBSan) into
# build-fuzz/ and runs each one for a while on a copy of its seed corpus
# (tests/fuzz/corpus/<name>/), printing how many inputs each ran.
#
#   tests/fuzz/run.sh [SECONDS=600]        each target in turn
#   tests/fuzz/run.sh --corpus             regenerate the committed seeds
#
# Exits non-zero when any target crashed, leaked, hung or tripped an
# oracle (see common.h); the input that did it stays in
# build-fuzz/fuzz-artifacts/ (fuzz_<name>-crash-…), with the log beside it.
# Reproduce one with: build-fuzz/fuzz_<name> FILE (SADASYA_FUZZ_VERBOSE=1
# says what each input did). SADASYA_FUZZ_SKIP silences named oracles.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

secs=600
regen=0
case "${1:-}" in
    --corpus) regen=1 ;;
    '') ;;
    *[!0-9]*) echo "usage: $0 [SECONDS] | --corpus" >&2; exit 2 ;;
    *) secs=$1 ;;
esac

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSADASYA_FUZZ=ON \
      -DSADASYA_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$jobs" --target fuzz

if [ "$regen" = 1 ]; then
    rm -rf tests/fuzz/corpus
    build-fuzz/fuzz_make_corpus tests/fuzz/corpus
    exit 0
fi

art=build-fuzz/fuzz-artifacts
mkdir -p "$art"
failed=()
summary=()
for src in tests/fuzz/fuzz_*.c; do
    bin=$(basename "$src" .c)
    name=${bin#fuzz_}
    echo "== $bin ($secs s)"
    status=0
    out=$(bash tests/fuzz/run_one.sh "build-fuzz/$bin" "tests/fuzz/corpus/$name" \
              "$secs" "$art") || status=$?
    echo "$out"
    summary+=("$(echo "$out" | head -1)")
    [ "$status" -eq 0 ] || failed+=("$bin")
done
echo "== executions"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "== FAILED: ${failed[*]} (inputs kept in $art/)"
    exit 1
fi
echo "== all fuzz targets ran clean"
