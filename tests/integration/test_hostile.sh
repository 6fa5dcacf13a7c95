#!/usr/bin/env bash
# shellcheck disable=SC2317  # helper functions are called through check/wait_until
# test_hostile.sh — a roster-listed key in hostile hands. tests/tools/rawpeer
# connects to the national node over CURVE with BR's key and sends garbage,
# an empty frame, a truncated Pull, a SyncMsg of version 99, malformed and
# oversized pulls, a Batch, a multi-frame message and a frame bigger than
# SYNC_MSG_MAX, then a valid Pull, which must be answered. Afterwards the
# national is still alive, still replicates a new registration, and its log
# shows the bad messages. A key outside the roster gets no session at all.
#
# A node that dials in may not push: MH is in the roster with no endpoint,
# so the national pulls from it over its inbound connection. rawpeer, with
# MH's key, pushes a Batch carrying MH's member under an id no pull used:
# the national drops it as a bad message and takes nothing of it.
#
#   tests/integration/test_hostile.sh SADASYA_BINARY BUILD_DIR
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
lib_init hostile "$@"
RAW=$T/bin/rawpeer
[[ -x $RAW ]] || lib_abort "no rawpeer tool in $2 (build the target rawpeer)"

N=$T/national
BR=$T/BR
JH=$T/JH
federation "$N" "$BR" "$JH"
init_state "$T/XX" XX Stranger "$NK" >/dev/null      # never authorised
MH=$T/MH
MK=$(init_state "$MH" MH Maharashtra "$NK")            # listed, never dialled
must "$S" --data "$N" roster add --state MH --name Maharashtra --key "$MK" >/dev/null
must "$S" --data "$MH" register --name "मराठी सदस्य" --gender male --phone 9300000001 \
    --district Pune >/dev/null

start_federation "$N" "$BR" "$JH"
must "$S" --data "$BR" register --name "बिहार सदस्य" --gender female --phone 9100000001 \
    --district Patna >/dev/null
check "N, BR and JH converge" wait_converged 15 "$N" "$BR" "$JH"
NPID=${NODE_PID[N]}

# --- the attack ------------------------------------------------------------------
t0=$(now_ms)
run "$RAW" "$BR" "$NK" "tcp://127.0.0.1:$PN" 10000
cp "$T/out" "$T/rawpeer.out"
sed 's/^/    | /' "$T/rawpeer.out"
note "rawpeer took $(( $(now_ms) - t0 )) ms"
check "rawpeer: the final valid pull is answered with a Batch (exit 0)" test "$RC" -eq 0
for what in "does not decode" "empty message" "unknown protocol version 99" \
    "malformed head" "too many heads" "no pull asked for" "several frames"; do
    check "rawpeer got a SyncError saying \"$what\"" grep -q "got SyncError: .*$what" "$T/rawpeer.out"
done
check "rawpeer: the oversized frame made the node drop the connection" \
    grep -q 'the node dropped the connection' "$T/rawpeer.out"

check "the national is still alive (kill -0)" kill -0 "$NPID"
check "the national is still alive (not a zombie)" node_alive N

# Its log shows the bad messages, one line each.
for what in "does not decode" "empty message" "unknown protocol version" \
    "malformed head" "too many heads" "unexpected batch" "several frames"; do
    check "the national's log shows the bad message: $what" \
        node_log_has N "(bad message|unexpected).*$what|$what.*from BR|bad message from BR: .*$what"
done
note "national log: $(node_log_count N 'bad message|unexpected') bad-message lines"
# An oversized frame never reaches the node: ZMQ_MAXMSGSIZE makes ZeroMQ
# drop the connection below it (checked above from rawpeer's side).

# --- still serving ------------------------------------------------------------------
must "$S" --data "$BR" register --name "नया बिहार सदस्य" --gender male --phone 9100000002 \
    --district Gaya >/dev/null
two_at() { [[ $(total "$1") -eq 2 ]]; }
check "a new registration on BR still reaches the national" wait_until 10 two_at "$N"
check "... and JH" wait_until 10 two_at "$JH"
must "$S" --data "$JH" register --name "झारखंड सदस्य" --gender female --phone 9200000001 \
    --district Ranchi >/dev/null
check "N, BR and JH converge after the attack" wait_converged 15 "$N" "$BR" "$JH"

# --- a second attack: same again, to be sure nothing accumulates -------------
run "$RAW" "$BR" "$NK" "tcp://127.0.0.1:$PN" 10000
check "a second rawpeer run is answered too" test "$RC" -eq 0
check "the national is still alive after the second run" node_alive N

# --- a node that dialled in pushes entries no pull asked for -----------------------
no_mh_at_n() { sd "$N" list --state MH; [[ $RC -eq 0 ]] && ! grep -q 'MH-0000001' "$T/out"; }
run "$RAW" "$MH" "$NK" "tcp://127.0.0.1:$PN" 10000 push
cp "$T/out" "$T/rawpeer-push.out"
sed 's/^/    | /' "$T/rawpeer-push.out"
check "rawpeer (MH, dialled in): pushed a Batch carrying its member" \
    grep -q '(id 7777, [1-9][0-9]* entries)' "$T/rawpeer-push.out"
check "rawpeer (MH): told the batch was asked for by no pull" \
    grep -q "got SyncError: .*no pull asked for" "$T/rawpeer-push.out"
check "rawpeer (MH): its valid pull is still answered" test "$RC" -eq 0
sleep 1
check "the national took nothing of the pushed batch (no MH member)" no_mh_at_n
check "the national logs the pushed batch as a bad message" \
    node_log_has N "bad message from inbound:MH.*no pull asked for"
check "the national is still alive after the push" node_alive N

# --- a key outside the roster -------------------------------------------------------
run "$RAW" "$T/XX" "$NK" "tcp://127.0.0.1:$PN" 3000
check "rawpeer with a key outside the roster gets no session (exit 1)" \
    bash -c "[[ $RC -eq 1 ]] && grep -q 'no CURVE handshake' '$T/out'"
check "the national logs the refused key" node_log_has N 'refused a connection'
# The wrong server key: the handshake cannot succeed either.
run "$RAW" "$BR" "$JK" "tcp://127.0.0.1:$PN" 3000
check "rawpeer expecting the wrong server key gets no session (exit 1)" test "$RC" -eq 1

check "the national is still alive at the end" node_alive N
for name in JH BR N; do check "node $name stops cleanly" stop_node "$name"; done
verify_all "$N" "$BR" "$JH"
finish
