#!/usr/bin/env bash
# shellcheck disable=SC2317  # helper functions are called through check/wait_until
# test_kill_rounds.sh — many rounds of kill -9 at random moments, on three
# nodes (national, BR, JH) on 127.0.0.1. The rounds take turns:
#
#   import   `sadasya import` of a generated CSV is killed part-way (random
#            moment, random batch size) on BR or JH while the nodes run; the
#            killed store must verify; running the same import again
#            finishes the file (every row once).
#   catchup  a node is stopped while another imports; it is started with
#            small batches (--batch 20) and killed part-way through its
#            catch-up, then
#            the serving node is killed part-way too; both restarted.
#   live     registrations flow on BR and JH (a loop of `register` each, a
#            few of those CLI processes killed too) while random nodes are
#            killed at random moments and restarted after a random pause.
#   rotate   a state is handed to a new key (node/README.md) while its old
#            node keeps registering: a plain handover, one with --lost, or a
#            revocation followed by a new key; a random node is killed
#            meanwhile. The old node retires; the new one (`init
#            --replacing`) takes over the state. Members the old key signed
#            past its cut were acknowledged by a device that no longer
#            counts: they must be on no node (void), the rest on every node.
#
# After every round: all three nodes converge (same stats, export, log);
# every acknowledged member (a number printed by a `register` that exited
# 0; every row of an import that exited 0) is on every node exactly once;
# no origin's log has a gap; `verify` is clean on every node; no number is
# held twice. Prints the rounds, kills, rotations, members registered and
# checked, lost, doubled and void members taken (all 0).
#
#   tests/fault/test_kill_rounds.sh SADASYA_BINARY BUILD_DIR
#   FAULT_LONG=1: 50 rounds (default 5). FAULT_SEED=N: the random seed.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/fault/lib_fault.sh
. "$here/lib_fault.sh"
lib_init kill_rounds "$@"

if [[ $FAULT_LONG == 1 ]]; then
    ROUNDS=${FAULT_ROUNDS:-50} IMPORT=1500 CATCHUP=2000 LIVE_S=6
else
    ROUNDS=${FAULT_ROUNDS:-5} IMPORT=3000 CATCHUP=3000 LIVE_S=4
fi
CATCHUP_BATCH=20   # entries per pull while catching up: many pulls to land in
SEED=${FAULT_SEED:-$(( $(date +%s) % 100000 ))}
RANDOM=$SEED
note "seed $SEED (FAULT_SEED=$SEED reproduces the choices)"

declare -A D=([N]=$T/N [BR]=$T/BR [JH]=$T/JH)
NK=$(init_national "${D[N]}" "Bharat Sangh")
BK=$(init_state "${D[BR]}" BR Bihar "$NK")
JK=$(init_state "${D[JH]}" JH Jharkhand "$NK")
declare -A P=([N]=$(free_port) [BR]=$(free_port) [JH]=$(free_port))
must "$S" --data "${D[N]}" roster add --state BR --name Bihar --key "$BK" \
    --endpoint "tcp://127.0.0.1:${P[BR]}" >/dev/null
must "$S" --data "${D[N]}" roster add --state JH --name Jharkhand --key "$JK" \
    --endpoint "tcp://127.0.0.1:${P[JH]}" >/dev/null
# start_plain NAME [more sadasyad args] — the node with its usual peers.
start_plain() {
    local name=$1 args=()
    shift
    [[ $name != N ]] && args=(--peer "tcp://127.0.0.1:${P[N]}")
    start_node "$name" "${D[$name]}" "${P[$name]}" "${args[@]}" "$@"
}
start_plain N
start_plain BR
start_plain JH
ALL=("${D[N]}" "${D[BR]}" "${D[JH]}")
NODES=(N BR JH)
STATES=(BR JH)
reg_ack "${D[BR]}" Patna
reg_ack "${D[JH]}" Ranchi
check "the three nodes converge at the start" wait_converged 30 "${ALL[@]}"

KILLS_CLI=0 KILLS_NODE=0 KILLS_MID=0 IMPORTS=0

# rand_ms LO HI — a random number of milliseconds, as seconds for sleep.
rand_sleep() {
    local ms=$(( $1 + RANDOM % ($2 - $1 + 1) ))
    sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
}

# Node `name` killed with SIGKILL (if running).
kill_node() {
    if node_alive "$1"; then
        crash_node "$1"
        KILLS_NODE=$((KILLS_NODE + 1))
    fi
}

ensure_running() {
    local n
    for n in "${NODES[@]}"; do
        node_alive "$n" || start_plain "$n"
    done
}

round_checks() {
    local label=$1
    ensure_running
    check "$label: the three nodes converge" wait_converged 60 "${ALL[@]}"
    check_acked "$label" "${ALL[@]}"
    check_gapless "$label" "${ALL[@]}"
    verify_all "${ALL[@]}"
}

# --- import: the CLI killed part-way -------------------------------------------
round_import() {
    local r=$1 st=${STATES[RANDOM % 2]} batch
    local sizes=(100 250 500 1000)
    batch=${sizes[RANDOM % 4]}
    local csv=$T/import-$r.csv
    gen_rows "$csv" "$IMPORT"
    local before
    before=$(total "${D[$st]}")
    "$S" --data "${D[$st]}" import "$csv" --batch "$batch" >"$T/imp.out" 2>&1 &
    local pid=$!
    if (( RANDOM % 4 == 0 )); then
        rand_sleep 5 80     # early: while the file is checked, or the first batch
    else                    # once a random part of the rows is in
        local want=$(( before + IMPORT * (5 + RANDOM % 85) / 100 ))
        local deadline=$(( $(now_ms) + 20000 ))
        while pid_alive "$pid" && [[ $(total "${D[$st]}") -lt $want && $(now_ms) -lt $deadline ]]; do :; done
    fi
    local killed=0
    if pid_alive "$pid"; then
        kill -KILL "$pid" 2>/dev/null && killed=1
    fi
    wait "$pid" 2>/dev/null
    local mid
    mid=$(total "${D[$st]}")
    if [[ $killed == 1 ]]; then
        KILLS_CLI=$((KILLS_CLI + 1))
        if [[ $mid -gt $before && $mid -lt $((before + IMPORT)) ]]; then
            KILLS_MID=$((KILLS_MID + 1))
        fi
    fi
    note "round $r (import): import of $IMPORT rows on $st (batch $batch) killed=$killed at $((mid - before)) rows"
    check "round $r: $st's store verifies right after the kill" verify_ok "${D[$st]}"
    sd "${D[$st]}" import "$csv" --batch "$batch"
    check "round $r: re-running the import on $st finishes it (exit 0)" test "$RC" -eq 0
    note "round $r: $(head -n 1 "$T/out")"
    if [[ $RC -eq 0 ]]; then
        ack_import "$csv"
        IMPORTS=$((IMPORTS + 1))
    fi
    check "round $r: $st holds exactly $IMPORT more members" \
        test "$(total "${D[$st]}")" -eq $((before + IMPORT))
}

# --- catch-up: the receiving, then the serving node killed part-way ---------------
round_catchup() {
    local r=$1 src=${STATES[RANDOM % 2]} dst
    local others=()
    for dst in "${NODES[@]}"; do [[ $dst != "$src" ]] && others+=("$dst"); done
    dst=${others[RANDOM % 2]}
    stop_node "$dst" >/dev/null
    local csv=$T/catchup-$r.csv
    gen_rows "$csv" "$CATCHUP"
    sd "${D[$src]}" import "$csv"
    check "round $r: $src imports $CATCHUP rows while $dst is down" test "$RC" -eq 0
    [[ $RC -eq 0 ]] && ack_import "$csv"
    local goal before at deadline
    goal=$(total "${D[$src]}")
    before=$(total "${D[$dst]}")
    # The receiver: killed once it holds a random part of what it lacks.
    start_plain "$dst" --batch "$CATCHUP_BATCH"
    local want=$(( before + (goal - before) * (10 + RANDOM % 60) / 100 ))
    deadline=$(( $(now_ms) + 20000 ))
    at=$(total "${D[$dst]}")
    while [[ $at -lt $want && $(now_ms) -lt $deadline ]]; do at=$(total "${D[$dst]}"); done
    kill_node "$dst"
    at=$(total "${D[$dst]}")
    [[ $at -gt $before && $at -lt $goal ]] && KILLS_MID=$((KILLS_MID + 1))
    note "round $r (catchup): $dst killed at $((at - before)) of $((goal - before)) entries from $src"
    check "round $r: $dst's store verifies right after the kill" verify_ok "${D[$dst]}"
    # Again, and this time the serving side dies.
    start_plain "$dst" --batch "$CATCHUP_BATCH"
    local before2=$at
    want=$(( at + (goal - at) * (10 + RANDOM % 60) / 100 ))
    deadline=$(( $(now_ms) + 20000 ))
    while [[ $at -lt $want && $(now_ms) -lt $deadline ]]; do at=$(total "${D[$dst]}"); done
    kill_node "$src"
    at=$(total "${D[$dst]}")
    [[ $at -gt $before2 && $at -lt $goal ]] && KILLS_MID=$((KILLS_MID + 1))
    note "round $r (catchup): $src (serving) killed with $dst at $((at - before)) of $((goal - before))"
    rand_sleep 100 1500
    check "round $r: $dst keeps running when $src dies" node_alive "$dst"
    start_plain "$src"
    stop_node "$dst" >/dev/null
    start_plain "$dst"   # back to its usual arguments
}

# --- live: registrations flowing, nodes killed -------------------------------------
# writer STATE PHONE_BASE SECONDS — registers until time is up; every 8th
# `register` (on average) is killed with SIGKILL at a random moment.
writer() {
    local st=$1 phone=$2 until=$(( $(now_ms) + $3 * 1000 )) out pid rc g
    local i=0
    while [[ $(now_ms) -lt $until ]]; do
        i=$((i + 1))
        phone=$((phone + 1))
        g=female; (( phone % 2 )) && g=male
        "$S" --data "${D[$st]}" register --name "${FAULT_NAMES[phone % 6]} $phone" \
            --gender "$g" --phone "$phone" --district Live >"$T/w-$st.out" 2>>"$T/w-$st.err" &
        pid=$!
        if (( RANDOM % 8 == 0 )); then
            sleep "0.0$((RANDOM % 3))$((RANDOM % 10))"
            kill -KILL "$pid" 2>/dev/null && echo "$phone" >>"$T/cli-kills"
        fi
        rc=0
        wait "$pid" 2>/dev/null || rc=$?
        out=$(cat "$T/w-$st.out")
        if [[ $rc -eq 0 && $out =~ ^[A-Z]{2,3}-[0-9]{7}-[0-9]$ ]]; then
            echo "$out $phone" >>"$T/acked"
        fi
    done
}

round_live() {
    local r=$1 wpids=() st base acked0
    acked0=$(acked_count)
    : >"$T/cli-kills"
    for st in "${STATES[@]}"; do
        base=$PHONE_NEXT
        PHONE_NEXT=$((PHONE_NEXT + 100000))
        writer "$st" "$base" "$LIVE_S" &
        wpids+=($!)
    done
    local until=$(( $(now_ms) + LIVE_S * 1000 )) victim kills=""
    while [[ $(now_ms) -lt $until ]]; do
        rand_sleep 200 1200
        victim=${NODES[RANDOM % 3]}
        kill_node "$victim"
        kills+=" $victim"
        rand_sleep 100 1000
        start_plain "$victim"
    done
    local p
    for p in "${wpids[@]}"; do wait "$p"; done
    local nk
    nk=$(wc -l <"$T/cli-kills")
    KILLS_CLI=$((KILLS_CLI + nk))
    note "round $r (live): $(( $(acked_count) - acked0 )) registrations acknowledged;" \
        "nodes killed:$kills; $nk register processes killed"
}

# --- rotate: a state's key handed over (or revoked) mid-flight -------------------
declare -A FIRST=([BR]=1 [JH]=1)   # first serial of each state's current key
ROTATIONS=0 REVOCATIONS=0 VOIDED=0 EPOCH=0
round_rotate() {
    local r=$1 st=${STATES[RANDOM % 2]} how=handover lost=()
    case $((RANDOM % 3)) in
    1) how=lost; lost=(--lost) ;;
    2) how=revoke ;;
    esac
    EPOCH=$((EPOCH + 1))
    local nd=$T/$st-k$EPOCH np nk
    np=$(free_port)
    nk=$(must "$S" --data "$nd" init --state "$st" --name "$st chapter" --trust "$NK" \
        --replacing | tail -n 1)
    # The old node keeps registering while the national hands the state over.
    local base=$PHONE_NEXT wpid victim cut="" first
    PHONE_NEXT=$((PHONE_NEXT + 100000))
    writer "$st" "$base" 3 &
    wpid=$!
    rand_sleep 300 1500
    if [[ $how == revoke ]]; then
        sd "${D[N]}" roster revoke --state "$st"
        check "round $r: roster revoke $st" test "$RC" -eq 0
        cut=$(grep -o 'ends at seq [0-9]*' "$T/out" | grep -o '[0-9]*$')
        REVOCATIONS=$((REVOCATIONS + 1))
        rand_sleep 100 800
    fi
    victim=${NODES[RANDOM % 3]}
    [[ $victim != "$st" ]] && kill_node "$victim"
    sd "${D[N]}" roster add --state "$st" --name "$st chapter" --key "$nk" \
        --endpoint "tcp://127.0.0.1:$np" "${lost[@]}"
    check "round $r: roster add hands $st to a new key ($how)" test "$RC" -eq 0
    [[ -z $cut ]] && cut=$(grep -o 'ends at seq [0-9]*' "$T/out" | grep -o '[0-9]*$')
    first=$(tail -n 1 "$T/out" | awk '{print $NF}')
    first=${first#*-}
    first=$((10#${first%-*}))
    wait "$wpid"
    ensure_running
    # The old node retires; the new one takes the state's name and place.
    stop_node "$st" >/dev/null
    D[$st]=$nd
    P[$st]=$np
    ALL=("${D[N]}" "${D[BR]}" "${D[JH]}")
    start_plain "$st"
    # Old-key members past the cut: serials from FIRST + cut on (the old key
    # signed only joins; the new key has registered nobody yet). They leave
    # the acknowledged list for the void one: a plain handover or a
    # revocation may give their numbers to new members later (the design
    # trusts the old device to stop; --lost does not).
    local lo=$(( ${FIRST[$st]} + ${cut:-0} ))
    "$PY" - "$T/acked" "$T/voided" "$st" "$lo" <<'PYEOF'
import sys
acked, voided, st, lo = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
keep, void = [], []
for line in open(acked):
    num, phone = line.split()
    if num.startswith(st + "-") and lo <= int(num.split("-")[1]):
        void.append(line)
    else:
        keep.append(line)
open(acked, "w").writelines(keep)
open(voided, "a").writelines(void)
PYEOF
    VOIDED=$(wc -l <"$T/voided")
    note "round $r (rotate): $st $how at seq ${cut:-?}; new series from $first;" \
        "$VOIDED void members so far (signed past a cut)"
    FIRST[$st]=$first
    ROTATIONS=$((ROTATIONS + 1))
    check "round $r: the new $st node numbers from its first serial" reg_ack "${D[$st]}" Patna
    check "round $r: ... which is $first" bash -c "[[ \$(tail -n 1 '$T/acked' | cut -d' ' -f1 | cut -d- -f2) == \$(printf %07d $first) ]]"
}

: >"$T/voided"
t_start=$(now_ms)
for ((r = 1; r <= ROUNDS; r++)); do
    case $(( (r - 1) % 4 )) in
    0) round_import "$r" ;;
    1) round_catchup "$r" ;;
    2) round_live "$r" ;;
    3) round_rotate "$r" ;;
    esac
    round_checks "round $r"
done

for n in JH BR N; do check "node $n stops cleanly" stop_node "$n"; done
check "after the stop: all three still converged" converged "${ALL[@]}"
verify_all "${ALL[@]}"

members=$(total "${D[N]}")
note "$ROUNDS rounds in $(( ($(now_ms) - t_start) / 1000 )) s: $members members," \
    "$(acked_count) acknowledged, $KILLS_CLI CLI and $KILLS_NODE node kills" \
    "($KILLS_MID part-way), $IMPORTS imports resumed, $ROTATIONS key rotations" \
    "($REVOCATIONS after a revocation), $VOIDED members void (signed past a cut);" \
    "lost $LOST, doubled $DOUBLED, void taken $VOID_TAKEN"
figure kill_rounds "$ROUNDS"
figure kill_cli "$KILLS_CLI"
figure kill_node "$KILLS_NODE"
figure kill_midway "$KILLS_MID"
figure kill_imports_resumed "$IMPORTS"
figure kill_members "$members"
figure kill_acked "$(acked_count)"
figure kill_nodes 3
figure kill_checked "$CHECKED"
figure kill_lost "$LOST"
figure kill_doubled "$DOUBLED"
figure kill_rotations "$ROTATIONS"
figure kill_revocations "$REVOCATIONS"
figure kill_void "$VOIDED"
figure kill_void_taken "$VOID_TAKEN"
finish
