#!/usr/bin/env bash
# shellcheck disable=SC2317  # helper functions are called through check/wait_until
# test_auth.sh — who may connect, and who may write what.
#
# (a) A node whose key is not in the roster (UP: init'ed with --trust but
#     never `roster add`ed) peering the national gets no connection: the
#     national's ZAP handler refuses its key, UP's sync-status shows
#     handshake failures and not connected, and its members never reach the
#     national.
# (b) A roster-listed node (BR) whose log holds an entry it may not write —
#     a MemberJoined under JH's prefix, signed with BR's own key and put in
#     BR's log behind the write path's back by tests/tools/forge — has it
#     rejected by every other node (their views do not change; the logs
#     say "rejected"), while `verify` on BR fails naming it (the planted
#     fault). Other origins keep replicating.
#
#   tests/integration/test_auth.sh SADASYA_BINARY BUILD_DIR
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
lib_init auth "$@"
FORGE=$T/bin/forge
[[ -x $FORGE ]] || lib_abort "no forge tool in $2 (build the target forge)"

N=$T/national
BR=$T/BR
JH=$T/JH
UP=$T/UP
federation "$N" "$BR" "$JH"
UK=$(init_state "$UP" UP "Uttar Pradesh" "$NK")   # never authorised
PU=$(free_port)

start_federation "$N" "$BR" "$JH"
start_node UP "$UP" "$PU" --peer "tcp://127.0.0.1:$PN"

reg() { # reg DATA NAME PHONE DISTRICT
    must "$S" --data "$1" register --name "$2" --gender female --phone "$3" --district "$4" >/dev/null
}
reg "$BR" "बिहार सदस्य एक" 9100000001 Patna
reg "$BR" "बिहार सदस्य दो" 9100000002 Gaya
reg "$JH" "झारखंड सदस्य एक" 9200000001 Ranchi
reg "$UP" "उत्तर प्रदेश सदस्य" 9300000001 Lucknow
reg "$UP" "उत्तर प्रदेश सदस्य दो" 9300000002 Varanasi

check "N, BR and JH converge on 3 members" wait_converged 15 "$N" "$BR" "$JH"
check "N holds 3 members" test "$(total "$N")" -eq 3

# --- (a) the unlisted key --------------------------------------------------------
hs_failed() {
    local f c
    f=$(peer_field "$UP" ":$PN" handshake_failures)
    c=$(peer_field "$UP" ":$PN" connected)
    [[ ${f:-0} -gt 0 && $c == false ]]
}
check "(a) UP's sync-status: handshake_failures > 0, connected false" wait_until 10 hs_failed
note "(a) UP's view of N: handshake_failures=$(peer_field "$UP" ":$PN" handshake_failures)" \
    "last_error=\"$(peer_field "$UP" ":$PN" last_error)\""
check "(a) the national's log shows the refused connection" \
    grep -q 'refused a connection from .*not in the roster' "$(node_log N)"
check "(a) UP received nothing from the national (no roster)" test "$(log_lines "$UP")" -eq 2
sleep 1   # give anything that might leak a chance to
sd "$N" --json stats
check "(a) the national's stats never show UP" \
    bash -c "[[ $RC -eq 0 ]] && ! grep -q '\"UP\"' '$T/out'"
sd "$N" list --state UP
check "(a) the national lists no UP member" \
    bash -c "[[ $RC -eq 0 ]] && ! grep -q 'UP-0000' '$T/out'"
check "(a) UP keeps running" node_alive UP
check "(a) the national keeps running" node_alive N

# --- (b) an entry under another state's prefix ----------------------------------
before_n=$(log_lines "$N")
before_jh=$(log_lines "$JH")
snapshot "$N" >"$T/n.before"
snapshot "$JH" >"$T/jh.before"
run "$FORGE" "$BR" JH 1
check "(b) forge signs JH-0000001 with BR's key into BR's log" \
    bash -c "[[ $RC -eq 0 ]] && grep -q 'forged BR seq 3: JH-0000001-' '$T/out'"
note "(b) $(cat "$T/out")"
FORGED=$(grep -o 'JH-0000001-[0-9]' "$T/out" || echo JH-0000001)

rejected_at() { # rejected_at NAME — the node's log shows the forgery refused
    node_log_has "$1" "rejected seq 3: .*$FORGED"
}
check "(b) the national rejects it (its log says so)" wait_until 10 rejected_at N
check "(b) JH rejects it (its log says so)" wait_until 10 rejected_at JH
note "(b) national: $(grep -m1 'rejected seq 3' "$(node_log N)" | cut -d' ' -f4-)"
rejected_from_br() { [[ $(peer_field "$N" ":$PB" rejected) -gt 0 ]]; }
check "(b) the national's sync-status counts it rejected from BR" wait_until 5 rejected_from_br
sleep 1
check "(b) the national's log did not grow" test "$(log_lines "$N")" -eq "$before_n"
check "(b) JH's log did not grow" test "$(log_lines "$JH")" -eq "$before_jh"
snapshot "$N" >"$T/n.after"
snapshot "$JH" >"$T/jh.after"
check "(b) the national's view did not change" cmp -s "$T/n.before" "$T/n.after"
check "(b) JH's view did not change" cmp -s "$T/jh.before" "$T/jh.after"
sd "$N" show "$FORGED"
check "(b) $FORGED on the national is still JH's own member" \
    bash -c "[[ $RC -eq 0 ]] && grep -q 'झारखंड सदस्य एक' '$T/out'"

# verify on BR names the planted fault.
sd "$BR" verify
check "(b) verify on BR exits 1 (planted fault)" test "$RC" -eq 1
check "(b) verify on BR names seq 3 / $FORGED" \
    bash -c "grep -q 'seq 3' '$T/out' && grep -qi 'JH' '$T/out'"
note "(b) BR verify: $(grep -i 'seq 3' "$T/out" | head -n 1)"

# Other origins keep replicating.
reg "$JH" "झारखंड सदस्य दो" 9200000002 Dhanbad
jh2() { [[ $(total "$N") -eq 4 ]] && [[ $(total "$BR") -eq 4 ]]; }
check "(b) a new JH member still reaches N and BR" wait_until 10 jh2
other_refusals() { grep 'rejected seq' <(node_log_since_start N) | grep -vc "rejected seq 3: .*$FORGED" || true; }
check "(b) the national rejected nothing but the forgery" test "$(other_refusals)" -eq 0
# A rejected entry is offered again by its holder at every pull. The puller
# should not ask again at once, forever (known product issue: it re-pulls
# immediately, thousands of times a second, logging each refusal).
r0=$(peer_field "$N" ":$PB" rejected)
sleep 2
r1=$(peer_field "$N" ":$PB" rejected)
note "(b) the national refused the forgery $((r1 - r0)) times in 2 s ($r1 in all)"
check "(b) the national does not re-pull the refused entry in a tight loop (<= 10 refusals in 2 s)" \
    test $((r1 - r0)) -le 10
check "(b) the national stays responsive meanwhile" node_alive N

# --- (c) a revoked chapter ------------------------------------------------------
# JH is offline when the national revokes it, so it does not know and goes
# on registering; when it comes back, nobody takes the new entry.
stop_node JH >/dev/null
must "$S" --data "$N" roster revoke --state JH >/dev/null
revoked_at() { sd "$1" roster; [[ $RC -eq 0 ]] && grep -Eqi '^JH.*revoked' "$T/out"; }
check "(c) the revocation of JH reaches BR" wait_until 10 revoked_at "$BR"
n_before=$(total "$N")
reg "$JH" "झारखंड सदस्य तीन" 9200000003 Bokaro
check "(c) JH, unaware, still registers locally" test "$(total "$JH")" -eq $((n_before + 1))
restart_node JH
# Either the national pulls JH's entry before JH hears of its revocation,
# and refuses it; or JH hears first (from BR or the national, which serve
# an ended key the national log) and retracts the entry itself
# (node/README.md, retraction): it is then never offered. Both are right.
refused_revoked() { node_log_has N 'rejected seq [0-9]+: .*revoked'; }
jh_retracted() {
    [[ $(timeout "$LIB_CMD_TIMEOUT" "$S" --data "$JH" --json sync-status 2>/dev/null |
        "$PY" -c 'import json,sys; print(json.load(sys.stdin)["retracted"])') -ge 1 ]]
}
refused_or_retracted() { refused_revoked || jh_retracted; }
check "(c) JH's entry written after the revocation is refused by the national or retracted by JH" \
    wait_until 10 refused_or_retracted
note "(c) national: $(grep -m1 'rejected seq [0-9]*: .*revoked' "$(node_log N)" | cut -d' ' -f4- || echo 'nothing refused: JH retracted first')"
zap_refused() { node_log_has N 'refused a connection'; }
check "(c) the national no longer admits JH's key" wait_until 10 zap_refused
sleep 1
check "(c) the national's view does not take it" test "$(total "$N")" -eq "$n_before"
check "(c) BR's view does not take it" test "$(total "$BR")" -eq "$n_before"
check "(c) the national keeps running" node_alive N

# --- (d) authorised later ------------------------------------------------------
# The usual order in the field: a chapter starts its node, then the national
# office authorises it. UP's node has been refused so far; once the national
# adds it, UP gets its session (the node redials after a refused handshake:
# libzmq alone would not) and pulls the national's log.
must "$S" --data "$N" roster add --state UP --name "Uttar Pradesh" --key "$UK" >/dev/null
up_connected() { [[ $(peer_field "$UP" ":$PN" connected) == true ]]; }
check "(d) once authorised, UP connects to the national (within 20 s)" wait_until 20 up_connected
up_has_roster() { [[ $(log_lines "$UP") -gt 2 ]]; }
check "(d) UP then receives the national's log" wait_until 10 up_has_roster
# UP's members still wait: nobody dials UP (its roster entry has no
# endpoint), and a pull only carries entries towards the dialling side.
up_at_n() { sd "$N" list --state UP; [[ $RC -eq 0 ]] && grep -q 'UP-0000' "$T/out"; }
check "(d) UP's members reach the national over UP's own outgoing connection" wait_until 4 up_at_n
note "(d) UP after authorisation: connected=$(peer_field "$UP" ":$PN" connected)" \
    "handshake_failures=$(peer_field "$UP" ":$PN" handshake_failures)"

for name in UP JH BR N; do check "node $name stops cleanly" stop_node "$name"; done
verify_all "$N" "$JH" "$UP"
finish
