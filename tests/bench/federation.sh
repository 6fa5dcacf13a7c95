#!/usr/bin/env bash
# federation.sh — a national federation on loopback: how long every node
# takes to hold every member, how many entries cross the wire for each one
# needed, and what it costs in CPU and memory, for several ways of linking
# the nodes (node/README.md, replication). A benchmark: it prints figures
# and fails only when a step does not work — or, with --check, when the
# nodes do not end identical, verify is not clean everywhere or more than
# 1.5 entries are served per entry needed (tests/integration/
# test_federation.sh runs a small federation so).
#
#   tests/bench/federation.sh [--nodes N] [--members M] [--modes LIST]
#                             [--partition P] [--check]
#
#   --nodes N      the national node and N-1 states (default 37: 36 states
#                  and union territories)
#   --members M    members per state, imported offline before the start
#                  (default 1000)
#   --modes LIST   comma-separated, each run from the same prepared data:
#                    star    chapters dial the national node only (--dial 0)
#                    roster  the default policy: roster endpoints known, a
#                            chapter dials the national node and the two
#                            chapters after it (--dial 2)
#                    all     every node dials every roster endpoint
#                  (default star,roster,all)
#   --partition P  then the roster mode's federation is split in two halves
#                  (the national node with the first), each half registers
#                  P members per state while the other is away, and the
#                  whole is healed: time to converge, identical views,
#                  verify on every node (default 0: skipped)
#   --check        exit 1 unless every run converged to identical views,
#                  verify was clean on every node and served/needed <= 1.5
#
# Environment: BUILD (default build-bench, configured Release if new),
# NO_BUILD=1 (use BUILD's binaries as they are), TMPDIR.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
nodes=37 members=1000 modes=star,roster,all partition=0 check=0
while [ $# -gt 0 ]; do
  case $1 in
    --nodes) nodes=$2; shift 2 ;;
    --members) members=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --partition) partition=$2; shift 2 ;;
    --check) check=1; shift ;;
    -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
    *) echo "federation.sh: error: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$nodes$members$partition" in *[!0-9]*) echo "federation.sh: error: numbers only" >&2; exit 2 ;; esac
if [ "$nodes" -lt 3 ] || [ "$nodes" -gt 37 ]; then
  echo "federation.sh: error: --nodes is 3 to 37" >&2; exit 2
fi

build=${BUILD:-$top/build-bench}
if [ -z "${NO_BUILD:-}" ]; then
  [ -f "$build/CMakeCache.txt" ] || cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release \
      -DSADASYA_WERROR=OFF >/dev/null
  cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target sadasya sadasyad bench_wait >/dev/null
fi
S=$build/sadasya D=$build/sadasyad W=$build/bench_wait
for b in "$S" "$D" "$W"; do [ -x "$b" ] || { echo "federation.sh: error: $b not built" >&2; exit 1; }; done

work=$(mktemp -d "${TMPDIR:-/tmp}/sadasya-federation.XXXXXX")
pids=()
stop_all() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() { stop_all; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.$1f\", $2 }"; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The national node and up to 36 states and union territories, in the
# roster's order (by code).
all_codes=(AN AP AR AS BR CG CH DD DL GA GJ HP HR JH JK KA KL LA LD MH ML MN MP MZ NL OD PB PY RJ SK TN TR TS UK UP WB)
codes=("${all_codes[@]:0:$((nodes - 1))}")

echo "== preparing: the national node and ${#codes[@]} states, $members members each" >&2
prep=$work/prep
mkdir -p "$prep"
natkey=$("$S" --data "$prep/IN" init --national --name "Bharat Sangh" | tail -n 1)
declare -A PORT KEY
PORT[IN]=$(port)
for c in "${codes[@]}"; do
  PORT[$c]=$(port)
  KEY[$c]=$("$S" --data "$prep/$c" init --state "$c" --name "Chapter $c" --trust "$natkey" | tail -n 1)
  "$S" --data "$prep/IN" roster add --state "$c" --name "Chapter $c" --key "${KEY[$c]}" \
      --endpoint "tcp://127.0.0.1:${PORT[$c]}" >/dev/null
done
# Every state starts holding the national log (the roster), as after a
# first contact: the figures are the members' catch-up.
"$S" --data "$prep/IN" bundle create "$work/roster.bundle" --for IN >/dev/null
gen() { # gen STATE COUNT FIRST_INDEX > csv
  python3 - "$1" "$2" "$3" <<'EOF'
import sys
st, n, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
given = ["सीता", "राम", "गीता", "मोहन", "अनीता", "सुरेश", "रागिनी", "दीपक", "नूतन", "धनंजय"]
family = ["देवी", "प्रसाद", "कुमारी", "लाल", "सिंह", "यादव", "रंजन", "सिन्हा", "वर्मा", "कांत"]
base = 6000000000 + (sum(ord(ch) * 31 ** i for i, ch in enumerate(st)) % 300) * 10000000
print("name,gender,phone,district")
for i in range(first, first + n):
    g = "female" if i % 2 == 0 else "male"
    print(f"{given[i % 10]} {family[(i // 10) % 10]} {i},{g},{base + i},District {i % 12}")
EOF
}
for c in "${codes[@]}"; do
  "$S" --data "$prep/$c" bundle apply "$work/roster.bundle" >/dev/null
  gen "$c" "$members" 0 >"$work/$c.csv"
  "$S" --data "$prep/$c" import "$work/$c.csv" >/dev/null
done
sync

digest() { # the set of (origin, seq, hash) a node holds
  "$S" --data "$1" --json log | python3 -c '
import hashlib, json, sys
rows = sorted((e["origin"], e["seq"], e["hash"]) for e in map(json.loads, sys.stdin))
print(hashlib.sha256(repr(rows).encode()).hexdigest(), len(rows))'
}

# run_nodes DIR MODE CODES... — starts the nodes of the codes given (IN for
# the national node) on the data in DIR; their pids go to RUN_PIDS.
declare -A RUN_PID
run_nodes() {
  local dir=$1 mode=$2; shift 2
  local c dial
  case $mode in star) dial=0 ;; roster) dial=2 ;; all) dial=all ;; esac
  for c in "$@"; do
    if [ "$c" = IN ]; then
      "$D" --data "$dir/IN" --listen "tcp://127.0.0.1:${PORT[IN]}" --dial "$([ "$mode" = all ] && echo all || echo 0)" \
          --log-level info 2>"$dir/IN.log" &
    else
      "$D" --data "$dir/$c" --listen "tcp://127.0.0.1:${PORT[$c]}" \
          --peer "tcp://127.0.0.1:${PORT[IN]}" --dial "$dial" --log-level info 2>"$dir/$c.log" &
    fi
    RUN_PID[$c]=$!
    pids+=($!)
  done
}

# Samples each node's anonymous memory every 200 ms until $dir/stop-sampling.
sample_memory() {
  local dir=$1; shift
  python3 - "$dir" "$@" <<'EOF' &
import os, sys, time
d, pids = sys.argv[1], sys.argv[2:]
peak = {p: 0 for p in pids}
while not os.path.exists(os.path.join(d, "stop-sampling")):
    for p in pids:
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith("RssAnon:"):
                    peak[p] = max(peak[p], int(line.split()[1]))
        except OSError:
            pass
    time.sleep(0.2)
with open(os.path.join(d, "peak-mem"), "w") as f:
    for p in pids:
        f.write(f"{p} {peak[p]}\n")
EOF
  SAMPLER=$!
}

cpu_of() { sed 's/.*) //' "/proc/$1/stat" | awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f", ($12 + $13) / t }'; }

# converge MODE DIR TOTAL CODES... — runs the nodes until each holds TOTAL
# members (bench_wait), then stops them; sets SECS, SERVED, CPU, MEM_MED,
# MEM_MAX.
converge() {
  local mode=$1 dir=$2 total=$3; shift 3
  local c t0 t1 rc=0 dirs=() plist=()
  for c in "$@"; do dirs+=("$dir/$c"); done
  t0=$(now)
  run_nodes "$dir" "$mode" "$@"
  for c in "$@"; do plist+=("${RUN_PID[$c]}"); done
  rm -f "$dir/stop-sampling"
  sample_memory "$dir" "${plist[@]}"
  BENCH_WAIT_POLL_MS=50 "$W" "$total" 600000 "${dirs[0]}" "${dirs[@]}" >/dev/null 2>"$dir/wait.err" || rc=$?
  t1=$(now)
  SECS=$(calc 2 "$t1 - $t0")
  CPU=0
  for c in "$@"; do CPU=$(calc 2 "$CPU + $(cpu_of "${RUN_PID[$c]}")"); done
  touch "$dir/stop-sampling"
  wait "$SAMPLER" 2>/dev/null || true
  stop_all
  SERVED=$(cat "$dir"/*.log | sed -n 's/.*stopped (served \([0-9]*\) entries.*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
  read -r MEM_MED MEM_MAX < <(awk '{ print $2 }' "$dir/peak-mem" | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f %.1f\n", v[int((NR + 1) / 2)] / 1024, v[NR] / 1024 }')
  if [ "$rc" -ne 0 ]; then
    fail "$mode: the nodes did not all reach $total members in 600 s"
    return 1
  fi
}

identical() { # identical DIR CODES... — same entries everywhere, verify clean
  local dir=$1; shift
  local c first="" d ok=0
  for c in "$@"; do
    d=$(digest "$dir/$c")
    [ -n "$first" ] || first=$d
    [ "$d" = "$first" ] || { fail "$c holds other entries than ${1} ($d vs $first)"; ok=1; }
  done
  for c in "$@"; do
    "$S" --data "$dir/$c" verify >"$dir/verify-$c.out" 2>&1 || { fail "verify on $c: $(tail -n 2 "$dir/verify-$c.out" | tr '\n' ' ')"; ok=1; }
  done
  return $ok
}

nstates=${#codes[@]}
total=$((nstates * members))
# Entries each node lacks at the start: the other states' members (the
# national log it holds already), and the national node all of them.
needed=$((nstates * members + nstates * (nstates - 1) * members))
echo "nodes $nodes"
echo "members_per_state $members"
echo "entries_needed $needed"
IFS=, read -r -a mode_list <<<"$modes"
for mode in "${mode_list[@]}"; do
  case $mode in star|roster|all) ;; *) echo "federation.sh: error: no mode $mode" >&2; exit 2 ;; esac
  echo "== $mode" >&2
  run=$work/$mode
  cp -a "$prep" "$run"
  if converge "$mode" "$run" "$total" IN "${codes[@]}"; then
    ratio=$(calc 2 "$SERVED / $needed")
    echo "${mode}_converge_s $SECS"
    echo "${mode}_served $SERVED"
    echo "${mode}_served_per_needed $ratio"
    echo "${mode}_cpu_s_all_nodes $CPU"
    echo "${mode}_anon_mb_median $MEM_MED"
    echo "${mode}_anon_mb_max $MEM_MAX"
    if [ "$check" = 1 ]; then
      identical "$run" IN "${codes[@]}" || true
      awk -v r="$ratio" 'BEGIN { exit !(r <= 1.5) }' || fail "$mode: $ratio entries served per entry needed (over 1.5)"
    fi
  fi
  [ "$mode" = roster ] && [ "$partition" -gt 0 ] && keep_roster=$run || rm -rf "$run"
done

if [ "$partition" -gt 0 ]; then
  run=${keep_roster:-}
  if [ -z "$run" ]; then
    echo "federation.sh: error: --partition needs the roster mode" >&2; exit 2
  fi
  echo "== partition: two halves of $((nodes / 2)) nodes apart, $partition members per state each, then healed" >&2
  half=$(( nstates / 2 ))
  A=(IN "${codes[@]:0:$half}")
  B=("${codes[@]:$half}")
  for c in "${codes[@]}"; do
    gen "$c" "$partition" "$members" >"$work/$c-more.csv"
    "$S" --data "$run/$c" import "$work/$c-more.csv" >/dev/null
  done
  # Each half on its own: its nodes exchange its new members.
  converge roster "$run" $((total + half * partition)) "${A[@]}" || true
  converge roster "$run" $((total + (nstates - half) * partition)) "${B[@]}" || true
  converge roster "$run" $((total + nstates * partition)) IN "${codes[@]}"
  echo "partition_heal_converge_s $SECS"
  echo "partition_heal_served $SERVED"
  echo "partition_heal_cpu_s_all_nodes $CPU"
  identical "$run" IN "${codes[@]}" && echo "partition_identical_and_verified yes" || echo "partition_identical_and_verified no"
fi
if [ "$check" = 1 ] && [ "$failed" = 1 ]; then
  exit 1
fi
exit 0
