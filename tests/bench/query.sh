#!/usr/bin/env bash
# query.sh — the national view's two promises, measured on COUNT members:
#   1. `stats` answers from the counters: its latency (bench_query) against
#      the same totals taken by a SQL scan (sqlite3 over `export --format csv`);
#   2. `verify` re-checks every signature: entries/s against what this
#      machine's cores can verify (bench_raw).
#
#   tests/bench/query.sh [COUNT]           (COUNT defaults to 1000000)
#
# Reuses the chapter kept by `KEEP=dir import.sh COUNT` (STORE=dir, default
# $TMPDIR/sadasya-bench-COUNT), or makes it with import.sh first. Prints
# `name value` lines and the goals (README.md); never fails on a slow
# figure, only when a step does not work or verify reports a failure.
#
# Environment:
#   STORE=dir    import.sh's KEEP dir (dir/data is the chapter's data dir)
#   BUILD=dir    build tree (as import.sh); NO_BUILD=1 as import.sh
#   REPS=n       bench_query repetitions (default 200)
#   SQL_REPS=n   repetitions of each SQL query (default 5; the median is kept)
#   TMPDIR       where the temp dir goes (default /tmp)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
count=${1:-1000000}
case $count in ''|*[!0-9]*) echo "usage: query.sh [COUNT]" >&2; exit 2;; esac
build=${BUILD:-$top/build-bench}
export BUILD=$build
store=${STORE:-${TMPDIR:-/tmp}/sadasya-bench-$count}
reps=${REPS:-200}
sql_reps=${SQL_REPS:-5}
command -v sqlite3 >/dev/null || { echo "query.sh: error: sqlite3 is not installed (apt-get install sqlite3)" >&2; exit 1; }

"$here/import.sh" --build-only
sadasya=$build/sadasya

if [ ! -f "$store/rows" ]; then
  if [ -e "$store" ]; then
    echo "query.sh: error: $store is not a finished import.sh store (no $store/rows)" >&2
    exit 1
  fi
  echo "== no store in $store: making one with import.sh $count" >&2
  KEEP=$store "$here/import.sh" "$count" | sed 's/^/import: /'
fi
if [ "$(cat "$store/rows")" != "$count" ]; then
  echo "query.sh: note: $store holds $(cat "$store/rows") rows, not $count" >&2
fi
data=$store/data

work=$(mktemp -d "${TMPDIR:-/tmp}/sadasya-query.XXXXXX")
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
# CPU seconds (user + sys) of this shell's finished children, from `times`
# (which must run in this shell, not in a $(...) subshell)
child_cpu() {
  awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); n += a[1] * 60 + a[2] } print n }' "$1"
}
# calc DIGITS EXPR: EXPR (awk syntax) printed with DIGITS decimals
calc() { awk "BEGIN { printf \"%.$1f\", $2 }"; }
# value NAME: the value of the `NAME value` line on stdin
value() { awk -v n="$1" '$1 == n { print $2 }'; }

# verify/s, measured before and after `verify` (the pair shows how much
# other load moved it) and per CPU second (which that load does not move)
echo "== raw primitives (bench_raw)" >&2
"$build/bench_raw" --only verify >"$work/raw"
verify_before=$(value ed25519_verify_per_s <"$work/raw")
verify_per_cpu_s=$(value ed25519_verify_per_cpu_s <"$work/raw")
cores=$(nproc 2>/dev/null || echo 1)

echo "== stats from the counters (bench_query, $reps runs)" >&2
q_state=$("$build/bench_query" "$data" state "$reps")
q_dist=$("$build/bench_query" "$data" district "$reps")
members=$(value stats_state_total <<<"$q_state")
state_us=$(value stats_state_median_us <<<"$q_state")
dist_us=$(value stats_district_median_us <<<"$q_dist")

echo "== export and load into sqlite3" >&2
t0=$(now)
"$sadasya" --data "$data" export --format csv >"$work/members.csv"
export_secs=$(calc 2 "$(now) - $t0")
exported=$(($(wc -l <"$work/members.csv") - 1))
# Columns as export writes them (cli/cmd_export.c), '-' spelt '_' for SQL.
cols=$(head -n 1 "$work/members.csv" | tr -d '"\r' | tr '-' '_')
cols_sql=$(tr ',' '\n' <<<"$cols" | awk '
  { t = ($1 ~ /^(fee_paise|birth_year|seq)$/) ? "INTEGER" : "TEXT"
    printf "%s%s %s", (NR > 1 ? ", " : ""), $1, t }')
for c in state district fee_paise; do
  tr ',' '\n' <<<"$cols" | grep -qx "$c" ||
    { echo "query.sh: error: export has no column $c (header: $cols)" >&2; exit 1; }
done
t0=$(now)
sqlite3 "$work/members.db" <<EOF
CREATE TABLE members ($cols_sql);
.import --csv --skip 1 $work/members.csv members
EOF
load_secs=$(calc 2 "$(now) - $t0")
loaded=$(sqlite3 "$work/members.db" 'SELECT count(*) FROM members')

# sql_ms BY: median wall time, in ms, of the stats query grouped by BY,
# run SQL_REPS times in one sqlite3 process (`.timer on`).
sql_ms() {
  local by=$1 i
  {
    echo ".output /dev/null"
    echo ".timer on"
    for ((i = 0; i < sql_reps; i++)); do
      echo "SELECT $by, count(*), sum(status = 'active'), sum(status = 'inactive'),"
      echo "       sum(fee_paise) FROM members GROUP BY $by;"
    done
  } | sqlite3 "$work/members.db" 2>&1 |
    awk '/^Run Time:/ { print $4 * 1000 }' | sort -n |
    awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
echo "== SQL scans ($sql_reps runs each)" >&2
sql_state_ms=$(sql_ms state)
sql_dist_ms=$(sql_ms district)
[ -n "$sql_state_ms" ] && [ -n "$sql_dist_ms" ] ||
  { echo "query.sh: error: sqlite3 printed no timings" >&2; exit 1; }

echo "== verify" >&2
t0=$(now)
vrc=0
times >"$work/times0"
"$sadasya" --data "$data" --json verify >"$work/verify.json" 2>"$work/verify.err" || vrc=$?
times >"$work/times1"
verify_secs=$(calc 3 "$(now) - $t0")
verify_cpu=$(calc 2 "$(child_cpu "$work/times1") - $(child_cpu "$work/times0")")
load=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,)
if command -v jq >/dev/null; then
  entries=$(jq -r .entries "$work/verify.json")
  ok=$(jq -r .ok "$work/verify.json")
else
  entries=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"])' <"$work/verify.json")
  ok=$(python3 -c 'import json,sys; print(str(json.load(sys.stdin)["ok"]).lower())' <"$work/verify.json")
fi
entries_per_s=$(calc 0 "$entries / $verify_secs")
"$build/bench_raw" --only verify >"$work/raw"
verify_after=$(value ed25519_verify_per_s <"$work/raw")
verify_per_s=$(calc 0 "($verify_before + $verify_after) / 2")
ceiling=$((verify_per_s * cores))
cpu_ceiling=$((verify_per_cpu_s * cores))

echo "members $members"
echo "exported_rows $exported"
echo "sqlite_rows $loaded"
echo "export_seconds $export_secs"
echo "sqlite_load_seconds $load_secs"
printf '%s\n' "$q_state" "$q_dist"
echo "stats_state_ms $(calc 3 "$state_us / 1000")"
echo "stats_district_ms $(calc 3 "$dist_us / 1000")"
echo "sql_state_ms $sql_state_ms"
echo "sql_district_ms $sql_dist_ms"
echo "sql_over_stats_state $(calc 0 "$sql_state_ms * 1000 / $state_us")"
echo "sql_over_stats_district $(calc 0 "$sql_dist_ms * 1000 / $dist_us")"
echo "goal: stats < 5 ms at 1M, >= 100x faster than the SQL scan"
echo "verify_ok $ok"
echo "verify_entries $entries"
echo "verify_seconds $verify_secs"
echo "verify_entries_per_s $entries_per_s"
echo "ed25519_verify_per_s $verify_per_s"
echo "ed25519_verify_per_s_before $verify_before"
echo "ed25519_verify_per_s_after $verify_after"
echo "cores $cores"
echo "verify_ceiling_per_s $ceiling"
echo "verify_over_ceiling $(calc 3 "$entries_per_s / $ceiling")"
echo "verify_cpu_seconds $verify_cpu"
echo "verify_cpu_per_wall $(calc 2 "$verify_cpu / $verify_secs")"
echo "ed25519_verify_per_cpu_s $verify_per_cpu_s"
echo "verify_over_idle_ceiling $(calc 3 "$entries_per_s / $cpu_ceiling")"
echo "verify_entries_per_cpu_s $(calc 0 "$entries / $verify_cpu")"
echo "signature_share_of_verify_cpu $(calc 3 "$entries / $verify_cpu / $verify_per_cpu_s")"
echo "loadavg_after_verify $load"
echo "goal: >= 80% (verify entries/s over raw verify/s x cores)"
if [ "$vrc" -ne 0 ] || [ "$ok" != true ]; then
  head -n 20 "$work/verify.json" "$work/verify.err" >&2
  echo "query.sh: error: verify reported failures (exit $vrc)" >&2
  exit 1
fi
