#!/usr/bin/env bash
# shellcheck disable=SC2317  # helper functions are called through check/wait_until
# test_partition.sh — five nodes (the national office and four states), each
# in its own network namespace on a private bridge (tests/fault/lib_netns.sh),
# through network faults:
#
#  1. partitions: the federation is cut in two (a different split each
#     round); members are registered and imported on both sides during the
#     cut; each side converges on its own and nothing crosses the cut; after
#     the heal every node converges (same stats, export and log).
#  2. one-way cuts: (a) BR's packets to JH are dropped, JH's to BR are not:
#     everything still converges, through the other nodes, during the cut;
#     (b) UP's packets to everyone are dropped: nothing crosses in either
#     direction (TCP needs both), and after the heal all converge.
#  3. a bad link: AS's link loses 20% of the frames each way and delays
#     them by 100 ms each way (tc netem, or a TAP forwarder where the kernel
#     has no netem); an import on AS and registrations elsewhere must still
#     reach every node.
#  4. a revocation across a cut (node/README.md, the revocation race): with
#     {N UP} cut from {BR JH AS}, the national revokes JH at the last entry
#     it holds while JH goes on registering and BR and AS take those
#     entries. After the heal the late members vanish from every node
#     (retracted), JH's node signs nothing more, all five converge.
# After each phase: every acknowledged member (a number printed by a
# `register` that exited 0, every row of an import that exited 0) is on
# every node exactly once, no origin's log has a gap, `verify` is clean.
#
#   tests/fault/test_partition.sh SADASYA_BINARY BUILD_DIR
#   FAULT_LONG=1: five partition rounds of 30 s, bigger imports.
# Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) for `ip netns`; otherwise it
# says why and exits 77 (skipped).
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/fault/lib_fault.sh
. "$here/lib_fault.sh"
# shellcheck source=tests/fault/lib_netns.sh
. "$here/lib_netns.sh"
lib_init partition "$@"

NAMES=(N BR JH UP AS)
# shellcheck disable=SC2034  # read by lib_netns.sh
NETNS_LOSSY=AS
netns_usable || skip "$NETNS_WHY"

if [[ $FAULT_LONG == 1 ]]; then
    ROUNDS=5 HOLD=30 PER_NODE=10 IMPORT=1000 LOSSY_IMPORT=5000 LOSSY_LIMIT=300
else
    ROUNDS=2 HOLD=12 PER_NODE=3 IMPORT=200 LOSSY_IMPORT=1000 LOSSY_LIMIT=120
fi
HEAL_LIMIT=90

netns_setup "${NAMES[@]}"

declare -A D=()
for n in "${NAMES[@]}"; do D[$n]=$T/$n; done
NK=$(init_national "${D[N]}" "Bharat Sangh")
declare -A STATE_NAME=([BR]=Bihar [JH]=Jharkhand [UP]="Uttar Pradesh" [AS]=Assam)
for n in BR JH UP AS; do
    k=$(init_state "${D[$n]}" "$n" "${STATE_NAME[$n]}" "$NK")
    must "$S" --data "${D[N]}" roster add --state "$n" --name "${STATE_NAME[$n]}" \
        --key "$k" --endpoint "$(ns_endpoint "$n")" >/dev/null
done

ns_start_node N "${D[N]}"
for n in BR JH UP AS; do
    ns_start_node "$n" "${D[$n]}" --peer "$(ns_endpoint N)"
done

all_dirs() { local n; for n in "$@"; do printf '%s\n' "${D[$n]}"; done; }
mapfile -t ALL < <(all_dirs "${NAMES[@]}")

for n in BR JH UP AS; do
    for i in 1 2; do reg_ack "${D[$n]}" Capital || note "register on $n failed"; done
done
check "the five nodes converge before any fault" wait_converged 60 "${ALL[@]}"

# After a phase: nodes alive, acknowledged members once, gapless, verify.
phase_checks() {
    local label=$1 n
    for n in "${NAMES[@]}"; do
        check "$label: node $n is still running" node_alive "$n"
    done
    check_acked "$label" "${ALL[@]}"
    check_gapless "$label" "${ALL[@]}"
    verify_all "${ALL[@]}"
}

# has DATA NUMBER — the node's view holds that member.
has() { timeout "$LIB_CMD_TIMEOUT" "$S" --data "$1" show "$2" >/dev/null 2>&1; }
lacks() { ! has "$@"; }
# peer_is DATA ENDPOINT_PART true|false — that peer's `connected`.
peer_is() { [[ $(peer_field "$1" "$2" connected) == "$3" ]]; }

# --- 1. partitions --------------------------------------------------------------
SPLITS=("UP AS" "BR JH AS" "N" "JH UP" "BR UP AS")
HEAL_MS_MAX=0
for ((r = 1; r <= ROUNDS; r++)); do
    read -r -a sideB <<<"${SPLITS[(r - 1) % ${#SPLITS[@]}]}"
    sideA=()
    for n in "${NAMES[@]}"; do
        [[ " ${sideB[*]} " == *" $n "* ]] || sideA+=("$n")
    done
    note "round $r: cut {${sideA[*]}} | {${sideB[*]}} for ${HOLD}s"
    t_cut=$(now_ms)
    netns_cut "${sideB[@]}"
    # Registrations on every node of both sides (the national registers no
    # members), and an import on a state of each side.
    declare -A LAST=()
    for n in "${NAMES[@]}"; do
        [[ $n == N ]] && continue
        for ((i = 0; i < PER_NODE; i++)); do
            reg_ack "${D[$n]}" "Round$r" && LAST[$n]=$REG_NUM
        done
    done
    for n in "${sideA[@]}" - "${sideB[@]}"; do   # the first state of each side
        [[ $n == - ]] && { imported=0; continue; }
        [[ $n == N || ${imported:-0} == 1 ]] && continue
        imported=1
        gen_rows "$T/r$r-$n.csv" "$IMPORT"
        sd "${D[$n]}" import "$T/r$r-$n.csv"
        check "round $r: $n imports $IMPORT members during the cut" test "$RC" -eq 0
        [[ $RC -eq 0 ]] && ack_import "$T/r$r-$n.csv"
    done
    imported=0
    mapfile -t DA < <(all_dirs "${sideA[@]}")
    mapfile -t DB < <(all_dirs "${sideB[@]}")
    if [[ ${#DA[@]} -gt 1 ]]; then
        check "round $r: side {${sideA[*]}} converges during the cut" wait_converged 40 "${DA[@]}"
    fi
    if [[ ${#DB[@]} -gt 1 ]]; then
        check "round $r: side {${sideB[*]}} converges during the cut" wait_converged 40 "${DB[@]}"
    fi
    # Hold the cut past the heartbeat timeout so the links really die.
    left=$(( HOLD * 1000 - ($(now_ms) - t_cut) ))
    [[ $left -gt 0 ]] && sleep "$((left / 1000)).$(printf %03d $((left % 1000)))"
    a_state=""; b_state=""
    for n in "${sideA[@]}"; do [[ $n != N && -z $a_state ]] && a_state=$n; done
    for n in "${sideB[@]}"; do [[ $n != N && -z $b_state ]] && b_state=$n; done
    if [[ -n $b_state ]]; then
        check "round $r: nothing crossed the cut (${LAST[$b_state]} not on ${sideA[0]})" \
            lacks "${D[${sideA[0]}]}" "${LAST[$b_state]}"
    fi
    if [[ -n $a_state ]]; then
        check "round $r: nothing crossed the cut (${LAST[$a_state]} not on ${sideB[0]})" \
            lacks "${D[${sideB[0]}]}" "${LAST[$a_state]}"
    fi
    # What an operator sees: the peer across the cut is not connected.
    x=${sideA[0]} y=${sideB[0]}
    check "round $r: $x's sync-status shows $y (across the cut) not connected" \
        wait_until 15 peer_is "${D[$x]}" "${IP_OF[$y]}:" false
    t_heal=$(now_ms)
    netns_heal
    check "round $r: all five converge after the heal" wait_converged "$HEAL_LIMIT" "${ALL[@]}"
    check "round $r: $x's sync-status shows $y connected again" \
        wait_until 30 peer_is "${D[$x]}" "${IP_OF[$y]}:" true
    heal_ms=$(( $(now_ms) - t_heal ))
    [[ $heal_ms -gt $HEAL_MS_MAX ]] && HEAL_MS_MAX=$heal_ms
    note "round $r: converged ${heal_ms} ms after the heal"
    phase_checks "round $r"
done

# --- 2a. one-way: BR's packets to JH dropped --------------------------------------
note "one-way cut: BR -> JH dropped, JH -> BR delivered"
netns_oneway BR JH
reg_ack "${D[BR]}" OneWay; b=$REG_NUM
reg_ack "${D[JH]}" OneWay; j=$REG_NUM
check "one-way BR-/->JH: $b (BR) reaches JH through the others" wait_until 60 has "${D[JH]}" "$b"
check "one-way BR-/->JH: $j (JH) reaches BR through the others" wait_until 60 has "${D[BR]}" "$j"
check "one-way BR-/->JH: all five converge during the cut" wait_converged 60 "${ALL[@]}"
netns_heal

# --- 2b. one-way: UP's packets to everyone dropped ---------------------------------
note "one-way cut: everything UP sends is dropped for ${HOLD}s"
t_cut=$(now_ms)
netns_oneway UP N BR JH AS
reg_ack "${D[UP]}" OneWay; u=$REG_NUM
reg_ack "${D[AS]}" OneWay; a=$REG_NUM
left=$(( HOLD * 1000 - ($(now_ms) - t_cut) ))
[[ $left -gt 0 ]] && sleep "$((left / 1000)).$(printf %03d $((left % 1000)))"
check "one-way UP-/->*: $u (UP) reached no other node" lacks "${D[N]}" "$u"
# The other way is open: an answer to a pull UP sent before the cut (parked
# at AS) may still arrive. Not a fault either way.
if has "${D[UP]}" "$a"; then
    note "one-way UP-/->*: $a (AS) reached UP over a connection opened before the cut"
else
    note "one-way UP-/->*: $a (AS) did not reach UP during the cut"
fi
t_heal=$(now_ms)
netns_heal
check "one-way UP-/->*: all five converge after the heal" wait_converged "$HEAL_LIMIT" "${ALL[@]}"
note "one-way: converged $(( $(now_ms) - t_heal )) ms after the heal"
phase_checks "one-way"

# --- 3. loss and delay on AS's link ------------------------------------------------
note "AS's link: 20% loss and 100 ms delay each way"
netns_impair AS 20 100
t0=$(now_ms)
gen_rows "$T/lossy.csv" "$LOSSY_IMPORT"
sd "${D[AS]}" import "$T/lossy.csv"
check "lossy: AS imports $LOSSY_IMPORT members" test "$RC" -eq 0
[[ $RC -eq 0 ]] && ack_import "$T/lossy.csv"
for n in BR JH UP; do reg_ack "${D[$n]}" Lossy; done
check "lossy: all five converge over the bad link (within ${LOSSY_LIMIT}s)" \
    wait_converged "$LOSSY_LIMIT" "${ALL[@]}"
lossy_ms=$(( $(now_ms) - t0 ))
note "lossy: sync finished in ${lossy_ms} ms; link: $(netns_link_stats)"
netns_impair AS 0 0
phase_checks "lossy"

# --- 4. a revocation across a cut ---------------------------------------------------
note "revocation race: {N UP} | {BR JH AS}; the national revokes JH meanwhile"
netns_cut BR JH AS
sleep 2
sd "${D[N]}" roster revoke --state JH
check "race: the national revokes JH during the cut" test "$RC" -eq 0
jh_cut=$(grep -o 'ends at seq [0-9]*' "$T/out" | grep -o '[0-9]*$')
late=""
for ((i = 0; i < PER_NODE; i++)); do reg_ack "${D[JH]}" Late && late=$REG_NUM; done
check "race: JH, not knowing, registers more ($late)" test -n "$late"
check "race: BR, on JH's side, takes them" wait_until 40 has "${D[BR]}" "$late"
t_heal=$(now_ms)
netns_heal
# JH's members past the cut (its log holds joins only) are void.
"$PY" - "$T/acked" "$T/voided" JH "$((1 + ${jh_cut:-0}))" <<'PYEOF'
import sys
acked, voided, st, lo = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
keep, void = [], []
for line in open(acked):
    num, phone = line.split()
    (void if num.startswith(st + "-") and int(num.split("-")[1]) >= lo else keep).append(line)
open(acked, "w").writelines(keep)
open(voided, "a").writelines(void)
PYEOF
RACE_VOID=$(wc -l <"$T/voided")
check "race: JH's late members vanish from BR once the revocation reaches it" \
    wait_until "$HEAL_LIMIT" lacks "${D[BR]}" "$late"
check "race: all five converge after the heal" wait_converged "$HEAL_LIMIT" "${ALL[@]}"
note "race: $RACE_VOID members signed past JH's cut (seq ${jh_cut:-?}) retracted; converged $(( $(now_ms) - t_heal )) ms after the heal"
sd "${D[JH]}" register --name "देर से" --gender male --phone 9399999999 --district Late
check "race: JH's node then signs nothing more" bash -c "[[ $RC -ne 0 ]] && grep -q revoked '$T/err'"
phase_checks "race"

# In a healthy network no node should see a message it calls bad. A batch
# answering a pull sent over an inbound link that was dropped meanwhile (the
# node then dialled the same peer itself) is dropped quietly, not called
# unexpected.
bad=0
for n in "${NAMES[@]}"; do bad=$((bad + $(node_log_count "$n" 'unexpected batch'))); done
note "'unexpected batch' warnings in the five logs: $bad"
check "no node calls a batch from a roster peer 'unexpected' ($bad)" test "$bad" -eq 0

for n in AS UP JH BR N; do check "node $n stops cleanly" stop_node "$n"; done
check "after the stop: all five still converged" converged "${ALL[@]}"

total_members=$(total "${D[N]}")
figure partition_rounds "$ROUNDS"
figure partition_hold_s "$HOLD"
figure partition_heal_ms_max "$HEAL_MS_MAX"
figure oneway_rounds 2
figure lossy_sync_ms "$lossy_ms"
figure lossy_members "$LOSSY_IMPORT"
if [[ $NETNS_NETEM == 1 ]]; then
    figure lossy_link "tc netem"
else
    figure lossy_link "a TAP forwarder (this kernel has no tc netem)"
fi
figure partition_members "$total_members"
figure partition_nodes 5
figure partition_checked "$CHECKED"
figure partition_lost "$LOST"
figure partition_doubled "$DOUBLED"
figure partition_revocation_void "$RACE_VOID"
figure partition_void_taken "$VOID_TAKEN"
finish
