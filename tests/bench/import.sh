#!/usr/bin/env bash
# import.sh — how fast `sadasya import` registers members, against what
# this machine's Ed25519 signing allows, and whether its memory stays flat.
#
#   tests/bench/import.sh [COUNT]          (COUNT defaults to 1000000)
#   tests/bench/import.sh --build-only     (just the build step)
#
# Builds the Release tree if needed (BUILD, default build-bench/), makes a
# national node and a Bihar chapter (BR) in a temp dir, generates COUNT
# members (gen_members.py), and imports them while sampling the import's
# /proc/PID/status every 50 ms; then does the same with COUNT/10 rows in a
# fresh chapter, so the two peak anonymous RSS figures show whether memory
# grows with the file. Prints `name value` lines (README.md says what each
# means) and the goal. Never fails on a slow figure; fails only when a step
# does not work.
#
# Environment:
#   BUILD=dir    build tree to use (configured Release if it has no cache)
#   NO_BUILD=1   use the binaries in BUILD as they are (no cmake run)
#   KEEP=dir     keep the COUNT-row chapter: dir/data is its data dir,
#                dir/national the national node's, dir/members.csv the file,
#                dir/rows the row count, written once the import has finished
#                (query.sh reuses it). dir must not exist or be empty.
#   PYTHON=py    interpreter for gen_members.py (default python3)
#   TMPDIR       where the temp dir goes (default /tmp)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build_only=0
if [ "${1:-}" = --build-only ]; then   # used by query.sh: build, nothing else
  build_only=1
  shift
fi
count=${1:-1000000}
case $count in ''|*[!0-9]*) echo "usage: import.sh [COUNT]" >&2; exit 2;; esac
if [ "$count" -lt 10 ]; then echo "import.sh: error: COUNT must be at least 10" >&2; exit 2; fi
small=$((count / 10))
build=${BUILD:-$top/build-bench}
python=${PYTHON:-python3}
command -v "$python" >/dev/null || python=/usr/bin/python3

# --- build ------------------------------------------------------------------
if [ -z "${NO_BUILD:-}" ]; then
  if [ ! -f "$build/CMakeCache.txt" ]; then
    echo "== configuring $build (Release)" >&2
    cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSADASYA_WERROR=OFF \
          -DCMAKE_C_FLAGS=-g >/dev/null
  fi
  if ! out=$(cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" 2>&1); then
    printf '%s\n' "$out" >&2
    echo "import.sh: error: build failed" >&2
    exit 1
  fi
fi
sadasya=$build/sadasya
for b in "$sadasya" "$build/bench_raw" "$build/bench_query"; do
  [ -x "$b" ] || { echo "import.sh: error: $b was not built" >&2; exit 1; }
done
[ "$build_only" = 0 ] || exit 0

# --- work dir ---------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/sadasya-bench.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
if [ -n "${KEEP:-}" ]; then
  if [ -e "$KEEP" ] && [ -n "$(ls -A "$KEEP")" ]; then
    echo "import.sh: error: KEEP=$KEEP exists and is not empty" >&2
    exit 1
  fi
  mkdir -p "$KEEP"
  keep=$(cd "$KEEP" && pwd)
  big=$keep
else
  big=$work/big
  mkdir -p "$big"
fi

now() { date +%s.%N; }
# calc DIGITS EXPR: EXPR (awk syntax) printed with DIGITS decimals
calc() { awk "BEGIN { printf \"%.$1f\", $2 }"; }

# Runs `sadasya --data DIR import FILE`, sampling its status every 50 ms.
# Sets: secs (wall), cpu (user+sys seconds, all threads), peak_anon (kB),
# hwm (kB), summary (the import's stdout).
run_import() {
  local dir=$1 file=$2 t0 t1 pid k v st rc=0 ticks=0
  peak_anon=0 hwm=0
  t0=$(now)
  "$sadasya" --data "$dir" import "$file" >"$work/import.out" 2>"$work/import.err" &
  pid=$!
  while [ -r "/proc/$pid/status" ]; do
    st=
    while read -r k v _; do
      case $k in
        VmHWM:) hwm=$v ;;
        RssAnon:) [ "$v" -gt "$peak_anon" ] && peak_anon=$v ;;
        State:) st=$v ;;
      esac
    done <"/proc/$pid/status" 2>/dev/null || true
    # utime + stime (fields 14 and 15 after the "(comm)" field), in ticks;
    # a zombie still shows the totals of all its threads
    v=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }') || true
    [ -n "$v" ] && ticks=$v
    [ "$st" = Z ] && break     # exited, not yet reaped
    sleep 0.05
  done
  wait "$pid" || rc=$?
  t1=$(now)
  if [ "$rc" -ne 0 ]; then
    cat "$work/import.err" >&2
    echo "import.sh: error: import of $file failed (exit $rc)" >&2
    exit 1
  fi
  secs=$(calc 3 "$t1 - $t0")
  cpu=$(calc 2 "$ticks / $(getconf CLK_TCK)")
  summary=$(tail -n 1 "$work/import.out")
}

# Makes a BR chapter in dir trusting the national key.
make_chapter() {
  "$sadasya" --data "$1" init --state BR --name Bihar --trust "$natkey" >/dev/null
}

# sign/s, measured before and after the imports: the pair shows how much
# other load on the machine moved the ceiling while they ran
# (and the rate per CPU second, which other load does not move)
sign_rate() { "$build/bench_raw" --only sign >"$work/raw"; awk -v n="$1" '$1 == n { print $2 }' "$work/raw"; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== raw primitives (bench_raw)" >&2
sign_before=$(sign_rate ed25519_sign_per_s)
sign_cpu=$(awk '$1 == "ed25519_sign_per_cpu_s" { print $2 }' "$work/raw")

echo "== nodes" >&2
natkey=$("$sadasya" --data "$big/national" init --national --name India | tail -n 1)
make_chapter "$big/data"
make_chapter "$work/small"

echo "== generating $count members" >&2
t0=$(now)
"$python" "$top/tests/bench/gen_members.py" "$count" BR >"$big/members.csv"
gen_secs=$(calc 1 "$(now) - $t0")
# the generator is deterministic and row-by-row: the small file is a prefix
head -n $((small + 1)) "$big/members.csv" >"$work/small.csv"

echo "== importing $small members" >&2
run_import "$work/small" "$work/small.csv"
small_secs=$secs small_cpu=$cpu small_anon=$peak_anon small_hwm=$hwm

echo "== importing $count members" >&2
run_import "$big/data" "$big/members.csv"
members_per_s=$(calc 0 "$count / $secs")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
sign_after=$(sign_rate ed25519_sign_per_s)
sign_per_s=$(calc 0 "($sign_before + $sign_after) / 2")

store_kb=$(du -sk "$big/data" | awk '{ print $1 }')
csv_kb=$(du -sk "$big/members.csv" | awk '{ print $1 }')

echo "import: $summary"
echo "rows $count"
echo "csv_kb $csv_kb"
echo "generate_seconds $gen_secs"
echo "seconds $(calc 2 "$secs")"
echo "members_per_s $members_per_s"
echo "cpu_seconds $cpu"
echo "cpu_per_wall $(calc 2 "$cpu / $secs")"
echo "ed25519_sign_per_s $sign_per_s"
echo "ed25519_sign_per_s_before $sign_before"
echo "ed25519_sign_per_s_after $sign_after"
echo "ed25519_sign_per_cpu_s $sign_cpu"
echo "members_per_sign_ratio $(calc 3 "$members_per_s / $sign_per_s")"
echo "members_per_cpu_s $(calc 0 "$count / $cpu")"
echo "signing_share_of_cpu $(calc 3 "$count / $cpu / $sign_cpu")"
echo "store_kb $store_kb"
echo "small_rows $small"
echo "small_seconds $(calc 2 "$small_secs")"
echo "small_members_per_s $(calc 0 "$small / $small_secs")"
echo "small_cpu_seconds $small_cpu"
echo "peak_rss_anon_kb_${small} $small_anon"
echo "peak_rss_anon_kb_${count} $peak_anon"
echo "vm_hwm_kb_${small} $small_hwm"
echo "vm_hwm_kb_${count} $hwm"
echo "rss_anon_growth_x10_rows $(calc 2 "$peak_anon / ($small_anon > 0 ? $small_anon : 1)")"
echo "loadavg_before $load_before" | tr ' ' ','  | sed 's/,/ /'
echo "loadavg_after $load_after" | tr ' ' ','  | sed 's/,/ /'
echo "goal: >= 50000 members/s"
if [ "$members_per_s" -ge 50000 ]; then
  echo "goal_met yes"
else
  echo "goal_met no"
fi
if [ -n "${KEEP:-}" ]; then
  echo "$count" >"$keep/rows"   # written last: query.sh trusts only a finished store
  echo "kept $keep (data: $keep/data)" >&2
fi
