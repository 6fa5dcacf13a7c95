#!/usr/bin/env bash
# A node restored from an old backup never issues a membership number
# twice (node/README.md, fencing):
#  - the restored store refuses to register until its node has caught up
#    its own log from a peer (clear message, --override-fence named);
#  - with a peer holding its newer entries, the node catches up first and
#    the next number continues the series;
#  - with no peer reachable it stays fenced; --override-fence writes;
#  - no equivocation arises and every node verifies.
# usage: test_backup_restore.sh SADASYA BUILD_DIR
set -uo pipefail
T=$(mktemp -d "${TMPDIR:-/tmp}/sadasya-fault-backup.XXXXXX")
# Private copies: the build tree may be relinked while this runs.
cp "$1" "$T/sadasya"; cp "$2/sadasyad" "$T/sadasyad"
S=$T/sadasya; D=$T/sadasyad
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
PASS=0 FAIL=0
check() { local d=$1; shift; if "$@"; then PASS=$((PASS+1)); else FAIL=$((FAIL+1)); echo "FAIL: $d"; fi; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
total() { "$S" --data "$1" --json stats | sed -n 's/.*"total":\([0-9]*\).*/\1/p'; }
wait_total() { # DIR N: bounded wait
  for _ in $(seq 1 100); do [ "$(total "$1")" = "$2" ] && return 0; sleep 0.1; done; return 1; }
reg() { "$S" --data "$1" register --name "$2" --gender female --phone "$3" --district Patna; }

cd "$T"
pn=$(port); pb=$(port)
root=$("$S" --data nat init --national --name N | tail -1)
br=$("$S" --data br init --state BR --name Bihar --trust "$root" | tail -1)
"$S" --data nat roster add --state BR --name Bihar --key "$br" --endpoint "tcp://127.0.0.1:$pb" >/dev/null
"$D" --data nat --listen "tcp://127.0.0.1:$pn" 2>nat.log & pids+=($!)
"$D" --data br --listen "tcp://127.0.0.1:$pb" --peer "tcp://127.0.0.1:$pn" 2>br.log & bp=$!; pids+=($bp)

for i in 1 2 3; do reg br "सदस्य $i" "90000000$i$i" >>issued.txt; done
check "backup made" "$S" --data br backup bk
check "backup dir is mode 0700" test "$(stat -c %a bk)" = 700
check "backup key file is mode 0600" test "$(stat -c %a bk/node.key)" = 600
for i in 4 5; do reg br "सदस्य $i" "90000000$i$i" >>issued.txt; done
check "national has all 5 members" wait_total nat 5

# The chapter's disk dies; the backup is restored.
kill "$bp"; wait "$bp" 2>/dev/null
mv br br.lost
check "restore" "$S" --data br restore bk
out=$(reg br "नया" 9111111111 2>&1); rc=$?
check "restored store refuses to register before catching up" test $rc -ne 0
check "... with a clear one-line message naming the way out" \
  bash -c '[[ $(printf "%s\n" "$1" | wc -l) = 1 && "$1" == *"restored from a backup"* && "$1" == *--override-fence* ]]' _ "$out"
check "... and wrote nothing" test "$(total br)" = 3

# Its node catches up from the national node, then writes may go on.
"$D" --data br --listen "tcp://127.0.0.1:$pb" --peer "tcp://127.0.0.1:$pn" 2>br2.log & bp=$!; pids+=($bp)
check "restored node catches up its own log" wait_total br 5
for _ in $(seq 1 50); do grep -q "caught up" br2.log && break; sleep 0.1; done
n6=$(reg br "नया सदस्य" 9111111111); echo "$n6" >>issued.txt
check "the next number continues the series (BR-0000006)" bash -c '[[ $1 == BR-0000006-* ]]' _ "$n6"
check "no number was issued twice" test "$(sort issued.txt | uniq -d | wc -l)" = 0
check "national receives it" wait_total nat 6
kill "$bp"; wait "$bp" 2>/dev/null

# No peer reachable: a second restore stays fenced; the override writes.
mv br br.second
"$S" --data br restore bk >/dev/null
out=$(reg br "अकेला" 9222222222 2>&1); rc=$?
check "with no peer the restored store stays fenced" test $rc -ne 0
n4=$("$S" --data br --override-fence register --name "अकेला" --gender male --phone 9222222222 --district Gaya)
check "--override-fence writes (operator's explicit choice)" bash -c '[[ $1 == BR-0000004-* ]]' _ "$n4"

for d in nat br.second; do
  check "verify $d" "$S" --data "$d" verify >/dev/null
done
ev=$("$S" --data nat --json sync-status | python3 -c 'import json,sys; print(json.load(sys.stdin)["evidence"])')
check "no equivocation evidence on the national node" test "$ev" = 0
echo "test_backup_restore: $PASS passed, $FAIL failed"
[ $FAIL = 0 ]
