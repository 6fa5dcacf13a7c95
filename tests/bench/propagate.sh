#!/usr/bin/env bash
# Benchmark (not a test): how fast a registration reaches other nodes.
#  - a chain of 5 nodes (national - S1 - S2 - S3 - S4, each linked to its
#    neighbours only): register at S4, time the arrival at the national
#    end, 4 hops away;
#  - a mesh of 10 nodes (national + 9 states, all linked through roster
#    endpoints): register at each state in turn, time the arrival at
#    every other node.
# SAMPLES registrations each (default 200); prints p50 and p99 in ms,
# measured from the local commit on the registering node.
# Goal: p99 under 100 ms on loopback.
set -euo pipefail
samples=${1:-200}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
./deploy/install-deps.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target sadasya sadasyad bench_wait >/dev/null
S=build-bench/sadasya D=build-bench/sadasyad W=build-bench/bench_wait
work=$(mktemp -d "${TMPDIR:-/tmp}/sadasya-propagate.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
total() { "$S" --data "$1" --json stats | sed -n 's/.*"total":\([0-9]*\).*/\1/p'; }
codes=(BR JH UP MP RJ GJ WB OR AS)

# converge DIR... : wait (bounded) until every dir has the same total as the first
converge() {
  for _ in $(seq 1 300); do
    local t0; t0=$(total "$1"); local ok=1
    for d in "$@"; do [ "$(total "$d")" = "$t0" ] || ok=0; done
    [ $ok = 1 ] && return 0
    sleep 0.1
  done
  echo "nodes did not converge" >&2; return 1
}

percentiles() { # file of numbers -> "p50 p99 max n"
  python3 -c '
import sys
v=sorted(float(x) for x in open(sys.argv[1]) if float(x) >= 0)
bad=sum(1 for x in open(sys.argv[1]) if float(x) < 0)
p=lambda q: v[min(len(v)-1, int(q*len(v)))]
print("p50 %.1f ms  p99 %.1f ms  max %.1f ms  (%d arrivals, %d missed)" % (p(.5), p(.99), v[-1], len(v), bad))' "$1"
}

sample() { # SOURCE_DIR TARGET_DIRS... : one registration, latencies appended to $out
  local src=$1; shift
  local want=$(( $(total "$src") + 1 ))
  "$W" "$want" 5000 "$src" "$@" >>"$out" &
  local wp=$!
  sleep 0.02
  i=$((i + 1))
  "$S" --data "$src" register --name "सदस्य $i" --gender female \
      --phone "9$(printf '%09d' "$i")" --district Patna >/dev/null
  wait "$wp" || true
}

echo "== chain of 5 nodes"
c=$work/chain; mkdir -p "$c"
root=$("$S" --data "$c/n0" init --national --name N | tail -1)
keys=("$root"); ports=("$(port)")
for k in 1 2 3 4; do
  keys+=("$("$S" --data "$c/n$k" init --state "${codes[$k]}" --name "S$k" --trust "$root" | tail -1)")
  ports+=("$(port)")
  "$S" --data "$c/n0" roster add --state "${codes[$k]}" --name "S$k" --key "${keys[$k]}" >/dev/null
done
for k in 0 1 2 3 4; do
  peers=()
  [ $k -gt 0 ] && peers+=(--peer "${keys[$((k-1))]}@tcp://127.0.0.1:${ports[$((k-1))]}")
  [ $k -lt 4 ] && peers+=(--peer "${keys[$((k+1))]}@tcp://127.0.0.1:${ports[$((k+1))]}")
  "$D" --data "$c/n$k" --listen "tcp://127.0.0.1:${ports[$k]}" "${peers[@]}" --log-level warn 2>"$c/n$k.log" & pids+=($!)
done
i=0
out=$work/warm; sample "$c/n4" "$c/n0" "$c/n1" "$c/n2" "$c/n3"   # roster reaches the far end first
converge "$c/n0" "$c/n1" "$c/n2" "$c/n3" "$c/n4"
out=$work/chain.txt; : >"$out"
for _ in $(seq 1 "$samples"); do sample "$c/n4" "$c/n0"; done
echo "far end (4 hops): $(percentiles "$out")"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=()

echo "== mesh of 10 nodes"
m=$work/mesh; mkdir -p "$m"
root=$("$S" --data "$m/n0" init --national --name N | tail -1)
ports=("$(port)")
for k in $(seq 1 9); do
  key=$("$S" --data "$m/n$k" init --state "${codes[$((k-1))]}" --name "S$k" --trust "$root" | tail -1)
  ports+=("$(port)")
  "$S" --data "$m/n0" roster add --state "${codes[$((k-1))]}" --name "S$k" --key "$key" \
      --endpoint "tcp://127.0.0.1:${ports[$k]}" >/dev/null
done
"$D" --data "$m/n0" --listen "tcp://127.0.0.1:${ports[0]}" --log-level warn 2>"$m/n0.log" & pids+=($!)
for k in $(seq 1 9); do
  "$D" --data "$m/n$k" --listen "tcp://127.0.0.1:${ports[$k]}" --peer "tcp://127.0.0.1:${ports[0]}" \
      --log-level warn 2>"$m/n$k.log" & pids+=($!)
done
all=(); for k in $(seq 0 9); do all+=("$m/n$k"); done
converge "${all[@]}"
sleep 4   # roster endpoints are re-read every few seconds: let the mesh form
out=$work/mesh.txt; : >"$out"
for s in $(seq 1 "$samples"); do
  k=$(( (s % 9) + 1 ))
  others=(); for j in $(seq 0 9); do [ $j -ne $k ] && others+=("$m/n$j"); done
  sample "$m/n$k" "${others[@]}"
done
echo "every node of 10: $(percentiles "$out")"
echo "goal: p99 under 100 ms"
