#!/usr/bin/env bash
# A small demo federation on this machine: the national office and two
# state chapters (Bihar, Jharkhand), each with its own data directory under
# ./demo. Members are registered on each state, the signed entries carried
# between the nodes as bundle files (as chapters without a network do),
# and every node then shows the same national totals. Re-runnable: it
# starts the demo afresh each time.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

./deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null

S="$top/build/sadasya"
demo="$top/demo"
rm -rf "$demo"
mkdir -p "$demo"
nat="$demo/national" br="$demo/bihar" jh="$demo/jharkhand"
say() { printf '\n== %s\n' "$*"; }

say "national office and two state chapters"
root=$("$S" --data "$nat" init --national --name "राष्ट्रीय कार्यालय" | tail -1)
brkey=$("$S" --data "$br" init --state BR --name "बिहार" --trust "$root" | tail -1)
jhkey=$("$S" --data "$jh" init --state JH --name "झारखंड" --trust "$root" | tail -1)
"$S" --data "$nat" roster add --state BR --name "बिहार" --key "$brkey"
"$S" --data "$nat" roster add --state JH --name "झारखंड" --key "$jhkey"
"$S" --data "$nat" roster

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

say "carrying signed entries between the nodes as bundle files"
"$S" --data "$br" bundle create "$demo/bihar.bundle"
"$S" --data "$jh" bundle create "$demo/jharkhand.bundle"
"$S" --data "$nat" bundle apply "$demo/bihar.bundle"
"$S" --data "$nat" bundle apply "$demo/jharkhand.bundle"
"$S" --data "$nat" bundle create "$demo/national.bundle"
"$S" --data "$br" bundle apply "$demo/national.bundle"
"$S" --data "$jh" bundle apply "$demo/national.bundle"

say "national totals, as each node sees them"
for d in "$nat" "$br" "$jh"; do
  echo "-- $(basename "$d")"
  "$S" --data "$d" stats --by state
done

say "every node verifies every signature, chain and count"
for d in "$nat" "$br" "$jh"; do "$S" --data "$d" verify; done

say "ID card of $first (as the national office sees it)"
"$S" --data "$nat" show "$first"

echo
echo "demo data is in $demo; try: $S --data $nat list"
