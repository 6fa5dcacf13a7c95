#!/usr/bin/env bash
# shellcheck disable=SC2317  # helper functions are called through check/wait_until
# test_line.sh — store-and-forward along a line N – BR – JH: the national
# and JH are never connected to each other, so whatever passes between them
# is relayed by BR (entries are signed by their origin; any node relays).
# The chapters are authorised WITHOUT roster endpoints (roster endpoints
# would make a mesh); links are explicit `--peer KEYHEX@tcp://…` only.
#
# Phase 1 — the links dialled one way, as a chapter behind NAT would:
#   BR dials N, JH dials BR. The roster must reach JH through BR.
#   (Once an issue: a pull only carried entries from the
#   listening side to the dialling side, so JH's members never reach BR or
#   N when nobody dials JH. See the report.)
# Phase 2 — each link dialled from both ends (N⇄BR, BR⇄JH; still a line):
#   members registered on JH reach N through BR, BR's reach JH, and a new
#   roster change on N reaches JH through BR; every node converges.
#
#   tests/integration/test_line.sh SADASYA_BINARY BUILD_DIR
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
lib_init line "$@"

N=$T/national
BR=$T/BR
JH=$T/JH
NK=$(init_national "$N" "Bharat Sangh")
BK=$(init_state "$BR" BR Bihar "$NK")
JK=$(init_state "$JH" JH Jharkhand "$NK")
UK=$(init_state "$T/UP" UP "Uttar Pradesh" "$NK")
must "$S" --data "$N" roster add --state BR --name Bihar --key "$BK" >/dev/null
must "$S" --data "$N" roster add --state JH --name Jharkhand --key "$JK" >/dev/null
PN=$(free_port)
PB=$(free_port)
PJ=$(free_port)

# --- phase 1: one-way dialling ----------------------------------------------
start_node N "$N" "$PN" --log-level debug
start_node BR "$BR" "$PB" --peer "$NK@tcp://127.0.0.1:$PN" --log-level debug
start_node JH "$JH" "$PJ" --peer "$BK@tcp://127.0.0.1:$PB" --log-level debug

for i in 1 2 3; do
    must "$S" --data "$JH" register --name "झारखंड सदस्य $i" --gender female \
        --phone "92000000$i$i" --district Ranchi >/dev/null
done
roster_at_jh() { [[ $(log_lines "$JH") -ge 6 ]]; }   # N's 3 roster entries + JH's 3
check "phase 1: N's roster reaches JH through BR" wait_until 10 roster_at_jh
sd "$JH" roster
check "phase 1: JH lists BR and JH as authorised chapters" \
    bash -c "grep -q '^BR' '$T/out' && grep -q '^JH' '$T/out'"
jh_at_n() { [[ $(total "$N") -eq 3 ]]; }
check "phase 1: JH's members reach N through BR when only JH and BR dial out" \
    wait_until 4 jh_at_n
note "phase 1: members held: N $(total "$N"), BR $(total "$BR"), JH $(total "$JH")"
for name in JH BR N; do stop_node "$name" >/dev/null; done

# --- phase 2: each link dialled from both ends --------------------------------
start_node N "$N" "$PN" --log-level debug --peer "$BK@tcp://127.0.0.1:$PB"
start_node BR "$BR" "$PB" --log-level debug --peer "$NK@tcp://127.0.0.1:$PN" \
    --peer "$JK@tcp://127.0.0.1:$PJ"
start_node JH "$JH" "$PJ" --log-level debug --peer "$BK@tcp://127.0.0.1:$PB"

for i in 4 5 6; do
    must "$S" --data "$JH" register --name "झारखंड सदस्य $i" --gender male \
        --phone "92000000$i$i" --district Dhanbad >/dev/null
done
for i in 1 2; do
    must "$S" --data "$BR" register --name "बिहार सदस्य $i" --gender female \
        --phone "91000000$i$i" --district Patna >/dev/null
done
jh_all_at_n() { [[ $(total "$N") -eq 8 ]]; }
check "phase 2: all 6 of JH's members reach N through BR" wait_until 10 jh_all_at_n
br_at_jh() { sd "$JH" list --state BR; [[ $RC -eq 0 ]] && [[ $(grep -c 'BR-000000' "$T/out") -eq 2 ]]; }
check "phase 2: BR's members reach JH" wait_until 10 br_at_jh

# A roster change on N travels to JH through BR.
must "$S" --data "$N" roster add --state UP --name "Uttar Pradesh" --key "$UK" >/dev/null
up_at_jh() { sd "$JH" roster; [[ $RC -eq 0 ]] && grep -q '^UP' "$T/out"; }
check "phase 2: a roster change on N reaches JH through BR" wait_until 10 up_at_jh

check "phase 2: N, BR and JH converge" wait_converged 20 "$N" "$BR" "$JH"

# It really was a line: N and JH never spoke to each other.
peers_of() { timeout 30 "$S" --data "$1" --json peers | "$PY" -c '
import json, sys
print(" ".join(sorted(set(p["state"] for p in json.load(sys.stdin)["peers"]))))'; }
check "N's only peer (dialled or dialling in) is BR" test "$(peers_of "$N")" == "BR"
check "JH's only peer (dialled or dialling in) is BR" test "$(peers_of "$JH")" == "BR"
check "N never admitted a connection from JH" \
    bash -c "! grep -q 'admitted JH' '$(node_log N)'"
check "JH never admitted a connection from N" \
    bash -c "! grep -q 'admitted IN' '$(node_log JH)'"
check "BR admitted both N and JH" \
    bash -c "grep -q 'admitted IN' '$(node_log BR)' && grep -q 'admitted JH' '$(node_log BR)'"

# Display of a peer given as KEYHEX@endpoint: it should show its roster state.
st=$(peer_field "$JH" ":$PB" state)
check "JH's sync-status names its KEY@ peer BR as BR (shows \"$st\")" test "$st" == BR

for name in JH BR N; do check "node $name stops cleanly" stop_node "$name"; done
verify_all "$N" "$BR" "$JH"
finish
