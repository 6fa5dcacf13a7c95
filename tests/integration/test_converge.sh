#!/usr/bin/env bash
# shellcheck disable=SC2317  # helper functions are called through check/wait_until
# test_converge.sh — a national node and three states (BR, JH, UP), all
# listening, each state peering the national, the roster listing every
# state's endpoint (so the nodes form a mesh). 30 members are registered on
# each state at once, while the nodes run; all four nodes must then hold the
# same view (stats, export) and the same signed log, and verify clean.
#
#   tests/integration/test_converge.sh SADASYA_BINARY BUILD_DIR
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
lib_init converge "$@"

PER_STATE=30

# Quick checks of the daemon's command line.
run "$SD" --help
check "sadasyad --help exits 0 with usage on stdout" \
    bash -c "[[ $RC -eq 0 ]] && grep -q -- '--listen' '$T/out'"
run "$SD" --bogus-flag
check "sadasyad with an unknown flag: one-line error, exit non-zero" \
    bash -c "[[ $RC -ne 0 ]] && [[ \$(wc -l <'$T/err') -eq 1 ]] && grep -q '^sadasyad: error: ' '$T/err' && [[ ! -s '$T/out' ]]"
run "$SD" --listen tcp://127.0.0.1:1
check "sadasyad without --data: one-line error" \
    bash -c "[[ $RC -ne 0 ]] && [[ \$(wc -l <'$T/err') -eq 1 ]] && grep -q '^sadasyad: error: ' '$T/err'"
run "$SD" --data "$T/none" --log-level loud
check "sadasyad --log-level loud: one-line error" \
    bash -c "[[ $RC -ne 0 ]] && [[ \$(wc -l <'$T/err') -eq 1 ]] && grep -q '^sadasyad: error: ' '$T/err'"
run "$SD" --data "$T/none" --listen tcp://127.0.0.1:1
check "sadasyad on a missing data dir: one-line error" \
    bash -c "[[ $RC -ne 0 ]] && [[ \$(wc -l <'$T/err') -eq 1 ]] && grep -q '^sadasyad: error: ' '$T/err'"

N=$T/national
NK=$(init_national "$N" "Bharat Sangh")
declare -A DIR=() PORT=() KEY=()
PORT[N]=$(free_port)
for st in BR JH UP; do
    DIR[$st]=$T/$st
    PORT[$st]=$(free_port)
done
KEY[BR]=$(init_state "${DIR[BR]}" BR Bihar "$NK")
KEY[JH]=$(init_state "${DIR[JH]}" JH Jharkhand "$NK")
KEY[UP]=$(init_state "${DIR[UP]}" UP "Uttar Pradesh" "$NK")
for st in BR JH UP; do
    must "$S" --data "$N" roster add --state "$st" --name "$st chapter" --key "${KEY[$st]}" \
        --endpoint "tcp://127.0.0.1:${PORT[$st]}" >/dev/null
done

start_node N "$N" "${PORT[N]}"
for st in BR JH UP; do
    start_node "$st" "${DIR[$st]}" "${PORT[$st]}" --peer "tcp://127.0.0.1:${PORT[N]}"
done

# The roster reaches every state, and every state connects to the national.
roster_on_all() {
    local st
    for st in BR JH UP; do
        [[ $(log_lines "${DIR[$st]}") -ge 4 ]] || return 1
    done
}
check "the roster reaches every state" wait_until 15 roster_on_all
connected_all() {
    local st
    for st in BR JH UP; do
        [[ $(peer_field "${DIR[$st]}" ":${PORT[N]}" connected) == true ]] || return 1
        [[ $(peer_field "$N" ":${PORT[$st]}" connected) == true ]] || return 1
    done
}
check "each state and the national show each other connected" wait_until 15 connected_all

# Register concurrently on the three states.
NAMES=("सीता देवी" "राम प्रसाद" "गीता कुमारी" "मोहन लाल" "अनीता सिंह")
register_loop() {
    local st=$1 base=$2 i fails=0
    for ((i = 0; i < PER_STATE; i++)); do
        local g=female
        ((i % 2)) && g=male
        if ! timeout 30 "$S" --data "${DIR[$st]}" register --name "${NAMES[i % 5]} $st$i" \
            --gender $g --phone $((base + i)) --district "District$((i % 4))" \
            --name-en "Member $st $i" >>"$T/reg-$st.out" 2>>"$T/reg-$st.err"; then
            fails=$((fails + 1))
        fi
    done
    echo "$fails" >"$T/reg-$st.fails"
}
t0=$(now_ms)
register_loop BR 9100000000 &
p1=$!
register_loop JH 9200000000 &
p2=$!
register_loop UP 9300000000 &
p3=$!
wait $p1 $p2 $p3
note "registered $((3 * PER_STATE)) members in $(( $(now_ms) - t0 )) ms"
for st in BR JH UP; do
    check "$PER_STATE registrations on $st succeeded" \
        bash -c "[[ \$(cat '$T/reg-$st.fails') == 0 ]] && [[ \$(grep -c '^$st-' '$T/reg-$st.out') == $PER_STATE ]]"
done

t0=$(now_ms)
check "all four nodes converge (stats, export, log)" \
    wait_converged 30 "$N" "${DIR[BR]}" "${DIR[JH]}" "${DIR[UP]}"
for d in "$N" "${DIR[BR]}" "${DIR[JH]}" "${DIR[UP]}"; do
    n=$(total "$d")
    check "$(basename "$d") holds $((3 * PER_STATE)) members (has $n)" test "$n" -eq $((3 * PER_STATE))
done
ENTRIES=$(( 1 + 3 + 3 * PER_STATE ))  # national's first roster entry, 3 roster adds, members
for d in "$N" "${DIR[BR]}" "${DIR[JH]}" "${DIR[UP]}"; do
    n=$(log_lines "$d")
    check "$(basename "$d") holds $ENTRIES signed entries (has $n)" test "$n" -eq "$ENTRIES"
done

# A member is shown the same everywhere (Devanagari name intact).
num=$(head -n 1 "$T/reg-JH.out")
sd "$N" --json show "$num"
check "national shows $num with its Devanagari name" \
    bash -c "[[ $RC -eq 0 ]] && $PY -c 'import json,sys; d=json.load(open(\"$T/out\")); assert d[\"name\"].startswith(\"${NAMES[0]}\"), d[\"name\"]; assert d[\"state\"]==\"JH\"'"

# Live push: one more registration reaches every node quickly.
n_before=$(total "$N")
t0=$(now_ms)
must "$S" --data "${DIR[UP]}" register --name "नया सदस्य" --gender other --phone 9399999999 \
    --district Lucknow >/dev/null
live() {
    local d
    for d in "$N" "${DIR[BR]}" "${DIR[JH]}"; do
        [[ $(total "$d") -eq $((n_before + 1)) ]] || return 1
    done
}
check "a new registration on UP reaches every node within 5 s" wait_until 5 live
note "live registration reached all nodes in $(( $(now_ms) - t0 )) ms"

check "sync-status on the national shows no lag, no rejections" \
    bash -c "\"$S\" --data '$N' --json sync-status | $PY -c '
import json,sys
d=json.load(sys.stdin)
assert d[\"evidence\"]==0
for p in d[\"peers\"]:
    assert p[\"rejected\"]==0 and p[\"bad_messages\"]==0, p
'"

# Nodes stop cleanly on SIGTERM and then show their peers disconnected.
for name in BR JH UP N; do
    check "node $name stops cleanly on SIGTERM" stop_node "$name"
done
check "a stopped state shows its peers disconnected" \
    test "$(peer_field "${DIR[BR]}" ":${PORT[N]}" connected)" == false
verify_all "$N" "${DIR[BR]}" "${DIR[JH]}" "${DIR[UP]}"
finish
