#!/usr/bin/env bash
# shellcheck disable=SC2317  # helper functions are called through check/wait_until
# test_links.sh — which links exist and what sync-status says of them
# (node/README.md, replication):
#   * a keyless --peer on the national node would be itself: sadasyad
#     refuses to start and names KEYHEX@tcp://…;
#   * a peer whose CURVE handshake keeps failing is logged once with its
#     likely cause and then at most once a minute, not once per attempt;
#   * a peer never heard from shows its lag as unknown (null), not 0;
#   * the dial policy: a chapter dials the national node and the chapters
#     after it in the roster, the national node dials a chapter only when
#     that chapter has not connected to it within 10 s of its start;
#   * a link that dialled in and went quiet is shown as gone, not
#     connected for ever; and a chapter added afterwards is dialled without
#     "Address already in use" (monitor names are never reused);
#   * one source per origin: a registration on one chapter reaches the
#     others while each origin comes over one link.
#
#   tests/integration/test_links.sh SADASYA_BINARY BUILD_DIR
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
lib_init links "$@"

N=$T/national
BR=$T/BR
JH=$T/JH
UP=$T/UP
federation "$N" "$BR" "$JH"
UK=$(init_state "$UP" UP "Uttar Pradesh" "$NK")
PU=$(free_port)

# --- a keyless peer that would be the national node itself ------------------------
RC=0
timeout 10 "$SD" --data "$N" --listen "tcp://127.0.0.1:$PN" \
    --peer "tcp://127.0.0.1:$(free_port)" >"$T/out" 2>"$T/err" || RC=$?
check "national + keyless --peer: sadasyad refuses to start" test "$RC" -ne 0
check "... naming KEYHEX@tcp://" grep -q 'KEYHEX@tcp://' "$T/err"
check "... in one line" test "$(wc -l <"$T/err")" -eq 1

# --- a handshake that keeps failing ------------------------------------------------
# BR dials the national node's address with JH's key: every handshake fails.
start_node N "$N" "$PN"
start_node BR "$BR" "$PB" --peer "$JK@tcp://127.0.0.1:$PN" --dial 0
sleep 6
fails=$(node_log_count BR 'CURVE handshake failed|during the CURVE handshake|failed handshakes')
note "BR logged $fails handshake lines in 6 s"
check "a failing handshake is logged once, not once per attempt" test "$fails" -eq 1
check "... with its likely cause" node_log_has BR "not the one given for it|does not admit"
hs=$(peer_field "$BR" ":$PN" handshake_failures)
check "... and counted in sync-status (handshake_failures=$hs)" test "${hs:-0}" -ge 2
behind=$(peer_field "$BR" ":$PN" behind)
check "a peer never heard from: behind is unknown (null), not 0 ($behind)" test "$behind" = None
stop_node BR >/dev/null

# --- the dial policy ------------------------------------------------------------------
# The national node dials a chapter only when it has not connected within
# 10 s of the national node's start: restarted here, with both chapters
# starting at once, it should dial neither.
stop_node N >/dev/null
restart_node N
start_node BR "$BR" "$PB" --peer "tcp://127.0.0.1:$PN"
start_node JH "$JH" "$PJ" --peer "tcp://127.0.0.1:$PN"
connected() { [[ $(peer_field "$1" "$2" connected) == true ]]; }
check "BR dials the national node" wait_until 10 connected "$BR" ":$PN"
check "BR dials JH, the next chapter in the roster" wait_until 10 connected "$BR" ":$PJ"
check "JH dials BR (after JH the roster wraps round)" wait_until 10 connected "$JH" ":$PB"
check "the national node lists BR, which dialled in" wait_until 10 connected "$N" ":$PB (dialled in)"
sleep 11 # past the national node's 10 s grace
check "the national node dials neither chapter: both dialled it" \
    bash -c "! grep -q 'peer tcp://127.0.0.1:$PB \|peer tcp://127.0.0.1:$PJ ' '$(node_log N)'"
known() { [[ $(peer_field "$1" "$2" behind) != None ]]; }
check "BR has heard the national node's heads (behind known)" wait_until 10 known "$BR" ":$PN"

# --- one source per origin, live ----------------------------------------------------------
must "$S" --data "$BR" register --name "सीता देवी" --gender female --phone 9100000001 \
    --district Patna >/dev/null
at() { [[ $(total "$1") -ge 1 ]]; }
check "a BR registration reaches the national node" wait_until 10 at "$N"
check "... and JH" wait_until 10 at "$JH"
lag0() { [[ $(peer_field "$1" "$2" ahead) == 0 && $(peer_field "$1" "$2" behind) == 0 ]]; }
check "within seconds JH's view of BR shows no lag either way" wait_until 5 lag0 "$JH" ":$PB"

# --- a link that dialled in and went quiet ------------------------------------------------------
crash_node JH
gone() { [[ $(peer_field "$N" ":$PJ (dialled in)" dropped) == true &&
            $(peer_field "$N" ":$PJ (dialled in)" connected) == false ]]; }
check "JH killed: the national node shows its inbound link gone" wait_until 45 gone
sd "$N" sync-status
check "... as 'gone' in the table" grep -q ' gone ' "$T/out"
# A chapter added now is dialled by the national node (UP does not dial
# it): its monitor must not reuse a name.
must "$S" --data "$N" roster add --state UP --name "Uttar Pradesh" --key "$UK" \
    --endpoint "tcp://127.0.0.1:$PU" >/dev/null
start_node UP "$UP" "$PU" --dial 0
check "the national node dials UP, which did not dial it" wait_until 20 connected "$N" ":$PU"
check "... with no 'Address already in use'" \
    bash -c "! grep -q 'Address already in use' '$(node_log N)'"
stop_all_nodes
finish
