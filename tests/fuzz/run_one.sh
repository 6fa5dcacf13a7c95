#!/usr/bin/env bash
# run_one.sh — runs one libFuzzer target for a while on a copy of its seed
# corpus (the committed corpus is never written to), and prints how many
# inputs it ran. Used by the ctest entries fuzz_<name> and by run.sh.
#
#   run_one.sh BINARY CORPUS_DIR [SECONDS=30] [ARTIFACT_DIR=./fuzz-artifacts]
#
# A crash, leak, timeout or oracle failure leaves its input in
# ARTIFACT_DIR/<binary>-crash-<sha1> (or -leak-, -timeout-, -oom-) and the
# log in ARTIFACT_DIR/<binary>.log; the exit status is then non-zero.
set -euo pipefail
bin=$1
corpus=$2
secs=${3:-30}
art=${4:-$PWD/fuzz-artifacts}
name=$(basename "$bin")

mkdir -p "$art"
art=$(cd "$art" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/$name-corpus.XXXXXX")
trap 'rm -rf "$work"' EXIT
if [ -d "$corpus" ]; then
    cp -R "$corpus"/. "$work"/
fi

log="$art/$name.log"
# The sanitizers stop at the first error; libFuzzer saves the input.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
dict=()
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$here/sadasya.dict" ] && dict=(-dict="$here/sadasya.dict")
status=0
"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=25 "${dict[@]}" \
       -artifact_prefix="$art/$name-" "$work" >"$log" 2>&1 || status=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
if [ "$status" -ne 0 ]; then
    echo "$name: FAILED (status $status) after ${execs:-?} executions; log $log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz oracle|.*runtime error)' "$log" | head -5 || true
    ls "$art"/"$name"-* 2>/dev/null | sed 's/^/  kept: /' || true
    exit "$status"
fi
echo "$name: ${execs:-?} executions in ${secs} s (${cov:-no coverage line}), corpus $(ls "$work" | wc -l) inputs"
