#!/usr/bin/env bash
# cards.sh — how many ID cards `sadasya cards` renders per second (PNG,
# 1011x638, Devanagari names, signed QR code), on one drawing thread and on
# every core. Goal: at least 100 cards/s on 2 cores.
#
#   tests/bench/cards.sh [COUNT]      (COUNT members, default 1000)
#
# Builds the Release tree if needed (BUILD, default build-bench/), makes a
# national node and a Bihar chapter (BR) in a temp dir, imports COUNT
# generated members (gen_members.py), renders every card with --jobs 1 and
# with --jobs $(nproc), then checks a sample card with zbarimg and
# card-verify. Prints `name value` lines and the goal: the rates measured,
# and the CPU time per card (with the rate it gives when every core is free,
# as the measured rate on a shared machine is not). Never fails on a slow
# figure; fails only when a step does not work.
#
# Environment: BUILD=dir, NO_BUILD=1, PYTHON=py, TMPDIR — as import.sh.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
count=${1:-1000}
case $count in ''|*[!0-9]*) echo "usage: cards.sh [COUNT]" >&2; exit 2;; esac
build=${BUILD:-$top/build-bench}
python=${PYTHON:-python3}
command -v "$python" >/dev/null || python=/usr/bin/python3
cores=$(nproc 2>/dev/null || echo 2)

if [ -z "${NO_BUILD:-}" ]; then
  if [ ! -f "$build/CMakeCache.txt" ]; then
    echo "== configuring $build (Release)" >&2
    cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSADASYA_WERROR=OFF \
          -DCMAKE_C_FLAGS=-g >/dev/null
  fi
  if ! out=$(cmake --build "$build" -j"$cores" --target sadasya 2>&1); then
    printf '%s\n' "$out" >&2
    echo "cards.sh: error: build failed" >&2
    exit 1
  fi
fi
sadasya=$build/sadasya
[ -x "$sadasya" ] || { echo "cards.sh: error: $sadasya was not built" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sadasya-bench-cards.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
sd() { "$sadasya" --data "$@"; }

nk=$(sd "$tmp/national" init --national --name "राष्ट्रीय सदस्यता संघ" | tail -n1)
bk=$(sd "$tmp/br" init --state BR --name "बिहार" --trust "$nk" | tail -n1)
sd "$tmp/national" roster add --state BR --name "बिहार" --key "$bk" >/dev/null
sd "$tmp/national" bundle create "$tmp/nat.bundle" --for IN >/dev/null
sd "$tmp/br" bundle apply "$tmp/nat.bundle" >/dev/null
"$python" "$top/tests/bench/gen_members.py" "$count" BR >"$tmp/members.csv"
sd "$tmp/br" import "$tmp/members.csv" >/dev/null

rate() { # rate JOBS — renders every card; prints cards/s, cards, CPU seconds
  rm -rf "$tmp/cards"
  local t0 t1 me=$BASHPID
  t0=$(cpu_s "$me")
  sd "$tmp/br" --json cards --out "$tmp/cards" --jobs "$1" >"$tmp/cards.json"
  t1=$(cpu_s "$me")
  "$python" -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.1f %d %.3f" % (d["per_second"], d["cards"], float(sys.argv[3]) - float(sys.argv[2])))' \
    "$tmp/cards.json" "$t0" "$t1"
}
# cpu_s PID — CPU seconds (user + system) of PID's finished children.
cpu_s() {
  local ticks
  ticks=$(getconf CLK_TCK)
  awk -v t="$ticks" '{ print ($16 + $17) / t }' /proc/$1/stat
}
echo "load_average_before $(cut -d' ' -f1 /proc/loadavg)"
read -r r1 n1 c1 < <(rate 1)
read -r rn nn cn < <(rate "$cores")
[ "$n1" = "$count" ] && [ "$nn" = "$count" ] ||
  { echo "cards.sh: error: rendered $n1 / $nn cards of $count" >&2; exit 1; }
bytes=$(du -sb "$tmp/cards" | cut -f1)

# The cards are real: a sample reads back and verifies.
sample=$(ls "$tmp/cards" | head -n1)
if command -v zbarimg >/dev/null; then
  payload=$(zbarimg --quiet --raw "$tmp/cards/$sample" 2>/dev/null | head -n1)
  sd "$tmp/br" card-verify --payload "$payload" >/dev/null ||
    { echo "cards.sh: error: $sample does not verify" >&2; exit 1; }
fi
sd "$tmp/br" card-verify "$tmp/cards/$sample" >/dev/null ||
  { echo "cards.sh: error: $sample does not verify" >&2; exit 1; }

echo "members $count"
echo "cores $cores"
echo "cards_per_s_1_job $r1"
echo "cards_per_s_${cores}_jobs $rn"
# What the work costs, whatever else the machine is doing: CPU time per
# card, and the rate that would give with every core free.
echo "cpu_ms_per_card $(awk -v c="$cn" -v n="$count" 'BEGIN { printf "%.2f", c * 1000 / n }')"
echo "cards_per_s_${cores}_idle_cores $(awk -v c="$cn" -v n="$count" -v k="$cores" 'BEGIN { printf "%.0f", (c > 0 ? k * n / c : 0) }')"
echo "card_png_bytes_avg $((bytes / count))"
echo "load_average_after $(cut -d' ' -f1 /proc/loadavg)"
echo "goal: >= 100 cards/s on 2 cores (cards_per_s_${cores}_jobs)"
