#!/usr/bin/env bash
# Benchmark (not a test): catch-up of COUNT entries from one node to an
# empty one over tcp loopback with CURVE. Prints entries/s, the raw limits
# measured in the same run (Ed25519 verify/s, BLAKE2b/s, LMDB append/s,
# ZeroMQ CURVE msgs/s and MB/s) and the receiving node's peak anonymous
# memory. Goal: >= 150,000 entries/s, memory bounded.
#   tests/bench/sync.sh [COUNT=1000000]
# KEEP=DIR keeps the source (national + BR data dirs before the sync) in
# DIR and reuses it on the next run with the same COUNT: the import of 1M
# members takes minutes, the catch-up seconds. PERF=1 records the
# receiving node with `perf record -g` (perf.data in the current dir).
set -euo pipefail
count=${1:-1000000}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
./deploy/install-deps.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target sadasya sadasyad bench_raw bench_curve bench_wait >/dev/null
S=build-bench/sadasya D=build-bench/sadasyad W=build-bench/bench_wait
work=$(mktemp -d "${TMPDIR:-/tmp}/sadasya-sync-bench.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
echo "== raw limits of this machine"
build-bench/bench_raw | tee "$work/raw.txt"
build-bench/bench_curve 300 200000 | tee "$work/curve.txt"

echo "== source: $count members on a BR node"
src=${KEEP:-}
if [ -n "$src" ] && [ -f "$src/count" ] && [ "$(cat "$src/count")" = "$count" ]; then
  echo "(reusing the source kept in $src)"
else
  [ -n "$src" ] || src=$work/src
  rm -rf "$src"; mkdir -p "$src"
  root=$("$S" --data "$src/nat" init --national --name N | tail -1)
  br=$("$S" --data "$src/br" init --state BR --name Bihar --trust "$root" | tail -1)
  "$S" --data "$src/nat" roster add --state BR --name Bihar --key "$br" >/dev/null
  python3 tests/bench/gen_members.py "$count" > "$work/members.csv"
  "$S" --data "$src/br" import "$work/members.csv" >/dev/null
  rm -f "$work/members.csv"
  echo "$count" > "$src/count"
fi
cp -a "$src/nat" "$work/nat"
cp -a "$src/br" "$work/br"
# The copies' dirty pages are written back now, not during the catch-up.
sync
br=$("$S" --data "$work/br" id | awk '$1=="key" {print $2}')
entries=$("$S" --data "$work/br" --json sync-status | python3 -c 'import json,sys; print(sum(o["seq"] for o in json.load(sys.stdin)["origins"]))')
echo "source holds $entries entries"

pb=$(port)
"$D" --data "$work/br" --listen "tcp://127.0.0.1:$pb" --log-level warn 2>"$work/br.log" & bpid=$!; pids+=($bpid)
sleep 0.5
# The arrival is watched by bench_wait (one process, a read transaction
# every 20 ms), not by running the CLI in a loop: that took a tenth of the
# machine from the nodes it measures.
BENCH_WAIT_POLL_MS=20 "$W" "$count" 600000 "$work/nat" "$work/nat" >/dev/null 2>"$work/wait.log" & wpid=$!; pids+=($wpid)
t0=$(date +%s.%N)
if [ -n "${PERF:-}" ]; then
  perf record -g -o perf.data -- "$D" --data "$work/nat" --peer "$br@tcp://127.0.0.1:$pb" --log-level warn 2>"$work/nat.log" & ppid=$!; pids+=($ppid)
  sleep 0.2; npid=$(pgrep -n -f "sadasyad --data $work/nat")
else
  "$D" --data "$work/nat" --peer "$br@tcp://127.0.0.1:$pb" --log-level warn 2>"$work/nat.log" & npid=$!; pids+=($npid)
fi
peak=0
while kill -0 "$wpid" 2>/dev/null; do
  while read -r k v _; do
    [[ $k == RssAnon: ]] && [ "$v" -gt "$peak" ] && peak=$v
  done < "/proc/$npid/status" 2>/dev/null || true
  kill -0 "$npid" 2>/dev/null || { echo "receiving node died; log:"; cat "$work/nat.log"; exit 1; }
  sleep ${SAMPLE_S:-0.05}
done
t1=$(date +%s.%N)
wait "$wpid" || { echo "the entries did not all arrive; log:"; tail "$work/nat.log"; exit 1; }
# CPU seconds of each thread of both nodes (utime + stime; no thread name
# here has a space, so the stat fields split plainly).
tick=$(getconf CLK_TCK)
cpu() { for t in /proc/$1/task/*; do
          awk -v t="$tick" '{ sub(/^[(]/, "", $2); sub(/[)]$/, "", $2);
                              printf " %s=%.2f", $2, ($14 + $15) / t }' "$t/stat"
        done; }
recv_cpu=$(cpu "$npid"); send_cpu=$(cpu "$bpid")
secs=$(python3 -c "print(round($t1-$t0,2))")
rate=$(python3 -c "print(int($count/($t1-$t0)))")
verify=$(awk '/ed25519_verify_per_s/ {print $2}' "$work/raw.txt")
echo "== catch-up"
echo "entries: $count members in ${secs} s"
echo "entries_per_s $rate"
echo "receiver_peak_rss_anon_kib $peak"
echo "receiver_cpu_s$recv_cpu"
echo "sender_cpu_s$send_cpu"
echo "raw: $(tr '\n' ' ' < "$work/raw.txt")$(tr '\n' ' ' < "$work/curve.txt")"
[ -n "$verify" ] && echo "ratio to one core's ed25519 verify rate: $(python3 -c "print(round($rate/$verify,2))")"
echo "goal: >= 150000 entries/s"
"$S" --data "$work/nat" verify --threads 2 | tail -1
