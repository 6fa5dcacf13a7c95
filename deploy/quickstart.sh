#!/usr/bin/env bash
# A small demo federation on this machine: the national office and two
# state chapters (Bihar, Jharkhand), each with its own data directory under
# ./demo and its own node (sadasyad) on 127.0.0.1. Members are registered
# on each state, the nodes replicate the signed entries, and every node
# then shows the same national totals. An offline chapter's bundle file is
# shown too. Bihar's node also serves the web app on 127.0.0.1 with a demo
# secretary's login; run from a terminal, the demo keeps running (with the
# web app) until Ctrl-C, else it stops when done. Re-runnable: it starts
# the demo afresh each time.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

./deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target sadasya sadasyad >/dev/null

S="$top/build/sadasya"
demo="$top/demo"
rm -rf "$demo"
mkdir -p "$demo"
nat="$demo/national" br="$demo/bihar" jh="$demo/jharkhand"
say() { printf '\n== %s\n' "$*"; }

# Free loopback ports for the three nodes.
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 20000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo "quickstart: no free port found" >&2; exit 1
}
pn=$(free_port); pb=$(free_port); pj=$(free_port); ph=$(free_port)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

say "national office and two state chapters"
root=$("$S" --data "$nat" init --national --name "राष्ट्रीय कार्यालय" | tail -1)
brkey=$("$S" --data "$br" init --state BR --name "बिहार" --trust "$root" | tail -1)
jhkey=$("$S" --data "$jh" init --state JH --name "झारखंड" --trust "$root" | tail -1)
"$S" --data "$nat" roster add --state BR --name "बिहार" --key "$brkey" --endpoint "tcp://127.0.0.1:$pb"
"$S" --data "$nat" roster add --state JH --name "झारखंड" --key "$jhkey" --endpoint "tcp://127.0.0.1:$pj"
"$S" --data "$nat" roster
# The web app's demo login (a chapter secretary of Bihar).
echo 'demo-pass-11' | "$S" --data "$br" user add demo --role secretary

say "starting the three nodes on 127.0.0.1 (logs in $demo/*.log)"
D="$top/build/sadasyad"
"$D" --data "$nat" --listen "tcp://127.0.0.1:$pn" 2>"$demo/national.log" & pids+=($!)
"$D" --data "$br" --listen "tcp://127.0.0.1:$pb" --peer "tcp://127.0.0.1:$pn" \
  --http "127.0.0.1:$ph" 2>"$demo/bihar.log" & pids+=($!)
"$D" --data "$jh" --listen "tcp://127.0.0.1:$pj" --peer "tcp://127.0.0.1:$pn" 2>"$demo/jharkhand.log" & pids+=($!)
say "members join in Bihar (Rs 11 each)"
reg() { "$S" --data "$1" register "${@:2}"; }
first=$(reg "$br" --name "राजीव रंजन प्रसाद" --name-en "Rajiv Ranjan Prasad" \
        --gender male --phone 9431000001 --district Patna --area urban \
        --payment-ref UPI-1001)
reg "$br" --name "रागिनी रंजन" --name-en "Ragini Ranjan" --gender female \
    --phone 9431000002 --district Patna --area urban --interest women-enterprise \
    --referred-by "$first"
reg "$br" --name "दीपक कुमार वर्मा" --name-en "Deepak Kumar Verma" --gender male \
    --phone 9431000003 --district Gaya --area rural
reg "$br" --name "नीता सिन्हा" --name-en "Neeta Sinha" --gender female \
    --phone 9431000004 --district Muzaffarpur --area urban

say "members join in Jharkhand"
reg "$jh" --name "अनुराग समरूप" --name-en "Anurag Samroop" --gender male \
    --phone 9234000001 --district Ranchi --area urban
reg "$jh" --name "शेखर प्रसाद" --name-en "Shekhar Prasad" --gender male \
    --phone 9234000002 --district Dhanbad --area rural
reg "$jh" --name "सुनीता देवी" --name-en "Sunita Devi" --gender female \
    --phone 9234000003 --district Ranchi --area rural

say "waiting until every node holds every member"
want=7
for i in $(seq 1 100); do
  ok=1
  for d in "$nat" "$br" "$jh"; do
    n=$("$S" --data "$d" --json stats | sed -n 's/.*"total":\([0-9]*\).*/\1/p')
    [ "$n" = "$want" ] || ok=0
  done
  [ $ok = 1 ] && break
  sleep 0.1
done
[ $ok = 1 ] || { echo "quickstart: nodes did not converge; see $demo/*.log" >&2; exit 1; }
echo "all three nodes hold $want members"
"$S" --data "$br" sync-status

say "national totals, as each node sees them"
for d in "$nat" "$br" "$jh"; do
  echo "-- $(basename "$d")"
  "$S" --data "$d" stats --by state
done

say "every node verifies every signature, chain and count"
for d in "$nat" "$br" "$jh"; do "$S" --data "$d" verify; done

say "an offline chapter's way: the same entries as a bundle file"
"$S" --data "$br" bundle create "$demo/bihar.bundle"
"$S" --data "$nat" bundle apply "$demo/bihar.bundle"

say "$first as the national office sees it"
"$S" --data "$nat" show "$first"

say "ID card of $first: printed by Bihar, checked by the national office"
"$S" --data "$br" card "$first" --out "$demo/card-$first.png"
"$S" --data "$nat" card-verify "$demo/card-$first.png"

say "Bihar's web app"
url="http://127.0.0.1:$ph"
for i in $(seq 1 50); do
  curl -s -o /dev/null --max-time 2 "$url/login" && break
  sleep 0.1
done
curl -s --max-time 5 "$url/login" | grep -q 'Username' ||
  { echo "quickstart: the web app did not answer; see $demo/bihar.log" >&2; exit 1; }
echo "open $url/login  (username: demo, password: demo-pass-11; a secretary of Bihar)"
echo "Prometheus metrics: $url/metrics"

echo
echo "demo data is in $demo; try: $S --data $nat list"
if [ -t 0 ] && [ -t 1 ]; then
  echo "the demo nodes and the web app keep running: press Ctrl-C to stop them"
  trap 'echo; exit 0' INT
  while :; do sleep 3600; done
fi
