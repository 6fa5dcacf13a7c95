#!/usr/bin/env bash
# shellcheck disable=SC2317  # helper functions are called through check/wait_until
# test_equivocation.sh — one key, two histories. BR's data dir is copied
# (cp -a, node stopped) to BR2; a different member is registered on each,
# so both sign seq 2 of BR's log with different entries. BR2 then runs as a
# second node with the same key on another port, peering the national (and
# the national dials it back, as a pull only carries entries towards the
# dialling side). The national must keep both signed entries as evidence
# (sync-status "evidence" > 0; verify exits 1 naming "equivocation": the
# planted fault), so must BR2 once it sees the national's seq 2; the view
# keeps one member for that seq; the honest nodes go on replicating the
# other origins (and BR's original line).
#
# Evidence travels with every batch: a node that only ever sees one of
# the two entries (JH, and BR itself) learns of the equivocation too, and
# its verify reports it. Holding back is the node's: a later entry of BR,
# signed on BR's own line after the operator overrides its fence, reaches
# the national over another link and is held back there, and again after
# the national restarts.
#
#   tests/integration/test_equivocation.sh SADASYA_BINARY BUILD_DIR
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
lib_init equivocation "$@"

N=$T/national
BR=$T/BR
BR2=$T/BR2
JH=$T/JH
federation "$N" "$BR" "$JH"
PB2=$(free_port)

reg() { # reg DATA NAME PHONE DISTRICT — prints the number
    must "$S" --data "$1" register --name "$2" --gender male --phone "$3" --district "$4"
}

# The national also dials where the copy will listen (nothing there yet).
start_node N "$N" "$PN" --peer "$BK@tcp://127.0.0.1:$PB2"
start_node BR "$BR" "$PB" --peer "tcp://127.0.0.1:$PN"
start_node JH "$JH" "$PJ" --peer "tcp://127.0.0.1:$PN"
reg "$BR" "पहला सदस्य" 9100000001 Patna >/dev/null
reg "$JH" "झारखंड सदस्य" 9200000001 Ranchi >/dev/null
check "N, BR and JH converge" wait_converged 15 "$N" "$BR" "$JH"

# Two histories for BR's seq 2.
stop_node BR >/dev/null
cp -a "$BR" "$BR2"
X=$(reg "$BR" "सच्चा सदस्य" 9100000002 Patna)
Y=$(reg "$BR2" "दूसरा सदस्य" 9100000099 Gaya)
check "both copies issue the same number at the same seq ($X, $Y)" test "$X" == "$Y"
check "the two entries differ" \
    bash -c "! cmp -s <('$S' --data '$BR' --json log --state BR --from 2) <('$S' --data '$BR2' --json log --state BR --from 2)"

restart_node BR
x_at_n() { [[ $(total "$N") -eq 3 ]]; }
check "the original's seq 2 reaches the national first" wait_until 10 x_at_n

start_node BR2 "$BR2" "$PB2" --peer "tcp://127.0.0.1:$PN"
ev_at() { [[ $(evidence "$1") -gt 0 ]]; }
check "the national stores evidence (sync-status evidence > 0)" wait_until 20 ev_at "$N"
check "the copy stores evidence too" wait_until 20 ev_at "$BR2"
note "evidence: N $(evidence "$N"), BR2 $(evidence "$BR2"), BR $(evidence "$BR"), JH $(evidence "$JH")"
check "the national's log names the equivocation" \
    grep -q 'equivocation' "$(node_log N)"

# While both hold seq 2 as their head, the copy offers its seq 2 at every
# pull and the national refuses it: does it ask again at once, forever?
r0=$(peer_field "$N" ":$PB2" rejected)
sleep 2
r1=$(peer_field "$N" ":$PB2" rejected)
note "the national refused the copy's entries $((r1 - r0)) times in 2 s ($r1 in all)"
check "the national does not re-pull from the equivocating copy in a tight loop (<= 10 in 2 s)" \
    test $((r1 - r0)) -le 10

sd "$N" verify
check "verify on the national exits 1 (planted fault)" test "$RC" -eq 1
check "verify on the national names \"equivocation\"" grep -qi 'equivocation' "$T/out"
note "national verify: $(grep -i -m1 'equivocation' "$T/out")"
sd "$BR2" verify
check "verify on the copy exits 1 naming \"equivocation\"" \
    bash -c "[[ $RC -eq 1 ]] && grep -qi equivocation '$T/out'"

sd "$N" --json show "$X"
check "the national's view keeps the first entry for $X" \
    bash -c "[[ $RC -eq 0 ]] && grep -q 'सच्चा सदस्य' '$T/out'"
check "the national holds BR's seq 2 once in its log" \
    test "$("$S" --data "$N" --json log --state BR | grep -c '"seq":2')" -eq 1

# The honest nodes keep working for other origins, and for BR's original line.
reg "$JH" "नया झारखंड सदस्य" 9200000002 Dhanbad >/dev/null
jh_at() { sd "$1" list --state JH; [[ $RC -eq 0 ]] && [[ $(grep -c 'JH-000000' "$T/out") -eq 2 ]]; }
check "a new JH member reaches the national" wait_until 10 jh_at "$N"
check "a new JH member reaches BR" wait_until 10 jh_at "$BR"
check "a new JH member reaches the copy" wait_until 10 jh_at "$BR2"
# Self-fencing (node/README.md): a node holding evidence against its own key
# knows another copy signs with it, and signs nothing more until the
# operator resolves it: no number is issued a third time.
check "evidence reaches BR, which only saw its own entry" wait_until 20 ev_at "$BR"
sd "$BR" register --name "तीसरा सदस्य" --gender male --phone 9100000003 --district Patna
check "BR, holding evidence against its own key, refuses to sign in one line" \
    bash -c "[[ $RC -ne 0 && ! -s '$T/out' ]] && grep -q 'equivocation' '$T/err' && [[ \$(wc -l <'$T/err') -eq 1 ]]"
sd "$BR2" register --name "चौथा सदस्य" --gender male --phone 9100000004 --district Patna
check "... and so does the copy" bash -c "[[ $RC -ne 0 ]] && grep -q 'equivocation' '$T/err'"

# Holding back is the node's, not a connection's (node/README.md). BR's
# operator overrides the fence and signs seq 3 on BR's own line; the
# national pulls it over its link to BR, not the copy's. Holding evidence
# against BR's key, it takes nothing of BR beyond its head (seq 2), and
# still nothing after a restart, until the national roster cuts the key.
must "$S" --data "$BR" --override-fence register --name "पाँचवाँ सदस्य" --gender male \
    --phone 9100000005 --district Patna >/dev/null
br3_at() { "$S" --data "$1" --json log --state BR --from 3 | grep -q '"seq":3'; }
no_br3_at() { ! br3_at "$1"; }
check "BR signed its seq 3 (--override-fence)" br3_at "$BR"
held_at_n() { node_log_has N 'held back: their origin equivocated'; }
check "the national holds BR's seq 3 back (its log says so)" wait_until 15 held_at_n
check "... and has not taken it, over BR's own link" no_br3_at "$N"
stop_node N >/dev/null
restart_node N
check "after a restart, the national holds BR's seq 3 back again" wait_until 20 held_at_n
check "... and still has not taken it" no_br3_at "$N"
for name in N BR JH BR2; do check "node $name is still running" node_alive "$name"; done

check "evidence reaches JH, which only saw one of the two entries" ev_at "$JH"
check "evidence reaches BR, which only saw its own entry" ev_at "$BR"

for name in BR2 JH BR N; do check "node $name stops cleanly" stop_node "$name"; done
for d in "$BR" "$JH"; do
    sd "$d" verify
    check "verify on $(basename "$d") exits 1 naming the equivocation it learnt of" \
        bash -c '[[ $1 -eq 1 ]] && grep -qi equivocation "$2"' _ "$RC" "$T/out"
done
finish
