# shellcheck shell=bash
# lib.sh — shared helpers for the multi-node tests (tests/integration/test_*.sh).
# Source it, then call lib_init:
#
#   . "$(dirname "$0")/lib.sh"
#   lib_init NAME "$@"          # $1 = sadasya binary, $2 = build dir
#
# Everything runs on 127.0.0.1 in a private temp dir ($T) that the EXIT trap
# removes after killing every node this script started (by pid; never by
# name). Every wait is bounded. `finish` prints "test_NAME: N passed, M
# failed" as the last line and exits non-zero on any failure; a script that
# dies early counts that as a failure and still prints the line.
#
# Set SADASYA_KEEP=1 to keep $T (node logs, data dirs) for a post-mortem.

set -uo pipefail

declare -A NODE_PID=() NODE_DATA=() NODE_PORT=() NODE_LOGOFF=()
LIB_ALL_PIDS=""   # every node ever started, for the EXIT trap
PASS=0
FAIL=0
LIB_DONE=0
LIB_CMD_TIMEOUT=${LIB_CMD_TIMEOUT:-60}
# The system Python starts in ~40 ms; a pyenv shim takes ~0.5 s.
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

# --- set-up and tear-down ---------------------------------------------------

lib_init() {
    TEST_NAME=$1
    local s=${2:-} build=${3:-}
    if [[ -z $s || -z $build ]]; then
        echo "usage: test_$TEST_NAME.sh SADASYA_BINARY BUILD_DIR" >&2
        exit 2
    fi
    LIB_T0=$(now_ms)
    T=$(mktemp -d "${TMPDIR:-/tmp}/sadasya-it-$TEST_NAME.XXXXXX")
    # The script's own stdout/stderr, for reports from places where they
    # are redirected (a `must` inside `... >/dev/null`, the EXIT trap).
    exec 7>&1 8>&2
    trap lib_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    export TMPDIR=$T        # verify's scratch store and friends
    unset SADASYA_DATA
    mkdir -p "$T/bin"
    # Private copies: the build tree may be relinked while we run.
    lib_copy_bin "$s" sadasya || lib_abort "cannot run $s"
    lib_copy_bin "$build/sadasyad" sadasyad || lib_abort "cannot run $build/sadasyad"
    local tool
    for tool in rawpeer forge; do
        if [[ -x $build/$tool ]]; then lib_copy_bin "$build/$tool" "$tool" || true; fi
    done
    S=$T/bin/sadasya
    SD=$T/bin/sadasyad
}

lib_copy_bin() {
    local src=$1 name=$2 i
    for i in 1 2 3 4 5 6 7 8 9 10; do
        if cp "$src" "$T/bin/$name" 2>/dev/null &&
            { [[ $name != sadasya* ]] || "$T/bin/$name" --help >/dev/null 2>&1; }; then
            return 0
        fi
        sleep 1
    done
    return 1
}

lib_cleanup() {
    local rc=$? name
    trap - EXIT
    exec 1>&7 2>&8
    stop_all_nodes
    local pid
    for pid in $LIB_ALL_PIDS; do   # anything lost track of
        if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null; fi
    done
    lib_release_ports
    if [[ $LIB_DONE -eq 0 ]]; then
        FAIL=$((FAIL + 1))
        echo "FAIL: the script stopped early (exit status $rc)"
        lib_dump_logs
        echo "test_$TEST_NAME: $PASS passed, $FAIL failed"
        rc=1
    fi
    if [[ ${SADASYA_KEEP:-0} == 1 ]]; then
        echo "kept $T" >&2
    else
        chmod -R u+rwX "$T" 2>/dev/null || true
        rm -rf "$T"
    fi
    exit $rc
}

lib_abort() {
    echo "ABORT: $*" >&7
    exit 1
}

# Prints the tail of every node log (on failure, for the CI log).
lib_dump_logs() {
    local f
    for f in "$T"/*.log; do
        [[ -e $f ]] || continue
        echo "---- last lines of $(basename "$f")"
        tail -n "${LIB_LOG_LINES:-15}" "$f" | sed 's/^/    /'
    done
}

finish() {
    LIB_DONE=1
    local secs
    secs=$(( ($(now_ms) - LIB_T0) / 1000 ))
    if [[ $FAIL -gt 0 ]]; then lib_dump_logs; fi
    echo "(took ${secs}s)"
    echo "test_$TEST_NAME: $PASS passed, $FAIL failed"
    [[ $FAIL -eq 0 ]]
    exit $?
}

# --- checks -------------------------------------------------------------------

now_ms() { date +%s%3N; }

# check DESCRIPTION COMMAND... — a pass when COMMAND succeeds.
check() {
    local desc=$1
    shift
    if "$@"; then
        PASS=$((PASS + 1))
        echo "ok: $desc"
    else
        FAIL=$((FAIL + 1))
        echo "FAIL: $desc"
        if [[ $LIB_ERR_FRESH == 1 && -s $T/err ]]; then
            sed 's/^/    stderr: /' "$T/err" | head -5
        fi
    fi
    LIB_ERR_FRESH=0
}

# xcheck DESCRIPTION COMMAND... — a known product issue (named in the
# report): failing is expected and not counted; passing says so.
xcheck() {
    local desc=$1
    shift
    if "$@"; then
        echo "XPASS: $desc (fixed? make it a check)"
    else
        echo "XFAIL (known product issue): $desc"
    fi
}

note() { echo "note: $*"; }

# run COMMAND... — stdout in $T/out, stderr in $T/err, status in $RC; bounded.
RC=0
LIB_ERR_FRESH=0
run() { RC=0; LIB_ERR_FRESH=1; timeout "$LIB_CMD_TIMEOUT" "$@" >"$T/out" 2>"$T/err" || RC=$?; }
# sd DATA ARGS... — the CLI on one data dir, through run.
sd() { local d=$1; shift; run "$S" --data "$d" "$@"; }
# must COMMAND... — a set-up step: abort the test if it fails.
must() {
    if ! timeout "$LIB_CMD_TIMEOUT" "$@" >"$T/must.out" 2>"$T/must.err"; then
        {
            echo "set-up step failed: $*"
            sed 's/^/    /' "$T/must.err" | head -5
        } >&7
        exit 1
    fi
    cat "$T/must.out"
}

# wait_until TIMEOUT_S COMMAND... — polls COMMAND (every $WAIT_POLL s,
# default 0.2) until it succeeds (0) or TIMEOUT_S seconds pass (1).
# WAITED_MS says how long.
WAITED_MS=0
wait_until() {
    local limit=$(( $1 * 1000 )) t0 poll=${WAIT_POLL:-0.2}
    shift
    t0=$(now_ms)
    while :; do
        if "$@" >/dev/null 2>&1; then
            WAITED_MS=$(( $(now_ms) - t0 ))
            return 0
        fi
        WAITED_MS=$(( $(now_ms) - t0 ))
        [[ $WAITED_MS -ge $limit ]] && return 1
        sleep "$poll"
    done
}

# --- ports --------------------------------------------------------------------

# free_port — prints a TCP port on 127.0.0.1 that nothing listens on, below
# the kernel's ephemeral range, and not handed out before — in this script
# or in another test script running at the same time: each port handed out
# is claimed by an atomic mkdir in $LIB_PORT_DIR (holding the claimer's
# pid; claims of dead scripts are taken over), released by the EXIT trap.
LIB_PORT_DIR=${TMPDIR:-/tmp}/sadasya-it-ports
free_port() {   # runs in $(…): only the file system remembers the claims
    local p i owner
    mkdir -p "$LIB_PORT_DIR" 2>/dev/null
    for i in $(seq 1 500); do
        p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
        if ! mkdir "$LIB_PORT_DIR/$p" 2>/dev/null; then
            owner=$(cat "$LIB_PORT_DIR/$p/pid" 2>/dev/null)
            # Taken, or being taken (no pid yet) — unless its owner is gone.
            if [[ -z $owner ]] || kill -0 "$owner" 2>/dev/null; then continue; fi
        fi
        echo $$ >"$LIB_PORT_DIR/$p/pid"
        if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then continue; fi
        if [[ -n $(ss -Htan "sport = :$p" 2>/dev/null) ]]; then continue; fi
        echo "$p"
        return 0
    done
    lib_abort "no free port found"
}

lib_release_ports() {
    local d
    for d in "$LIB_PORT_DIR"/*/; do
        [[ -e $d/pid && $(cat "$d/pid" 2>/dev/null) == "$$" ]] && rm -rf "$d"
    done
    rmdir "$LIB_PORT_DIR" 2>/dev/null
    return 0
}

# --- federation set-up --------------------------------------------------------

# init_national DIR NAME — prints the national key.
init_national() {
    must "$S" --data "$1" init --national --name "$2" | tail -n 1
}

# init_state DIR CODE NAME NATIONAL_KEY — prints the state's key.
init_state() {
    must "$S" --data "$1" init --state "$2" --name "$3" --trust "$4" | tail -n 1
}

# federation N BR JH — a national office (data dir N) and two chapters in
# its roster, Bihar (BR) and Jharkhand (JH), each given a port: sets the
# keys NK, BK, JK and the ports PN, PB, PJ; the roster names each
# chapter's endpoint on 127.0.0.1.
federation() {
    NK=$(init_national "$1" "Bharat Sangh")
    BK=$(init_state "$2" BR Bihar "$NK")
    JK=$(init_state "$3" JH Jharkhand "$NK")
    PN=$(free_port)
    PB=$(free_port)
    PJ=$(free_port)
    must "$S" --data "$1" roster add --state BR --name Bihar --key "$BK" \
        --endpoint "tcp://127.0.0.1:$PB" >/dev/null
    must "$S" --data "$1" roster add --state JH --name Jharkhand --key "$JK" \
        --endpoint "tcp://127.0.0.1:$PJ" >/dev/null
}

# start_federation N BR JH — the nodes of `federation` running as N, BR and
# JH, each chapter dialling the national office.
start_federation() {
    start_node N "$1" "$PN"
    start_node BR "$2" "$PB" --peer "tcp://127.0.0.1:$PN"
    start_node JH "$3" "$PJ" --peer "tcp://127.0.0.1:$PN"
}

# --- nodes --------------------------------------------------------------------

pid_alive() {
    [[ -n ${1:-} && -e /proc/$1 ]] &&
        ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

node_alive() { pid_alive "${NODE_PID[$1]:-}"; }

node_log() { echo "$T/$1.log"; }

# The node's log since its latest start.
node_log_since_start() {
    tail -c +"$(( ${NODE_LOGOFF[$1]:-0} + 1 ))" "$(node_log "$1")" 2>/dev/null
}

# node_log_has NAME PATTERN — the node's log since its latest start matches
# (grep -E). No pipe: grep -q quitting early must not fail it under pipefail.
node_log_has() { grep -Eq -- "$2" < <(node_log_since_start "$1"); }

# node_log_count NAME PATTERN — lines of its log since its start matching.
node_log_count() { grep -Ec -- "$2" < <(node_log_since_start "$1"); }

node_listening() { node_log_has "$1" ' listening on '; }

# node_launch NAME DATA PORT LISTEN [sadasyad args...] — starts sadasyad on
# DATA, listening on LISTEN (an endpoint; empty for none), through the
# command in the array NODE_WRAP when the caller sets one (ip netns exec
# …); log in $T/NAME.log. Waits (10 s) until it listens. DATA, PORT and the
# arguments are kept for a restart. For start_node and its kin.
node_launch() {
    local name=$1 data=$2 port=$3 endpoint=$4
    shift 4
    if node_alive "$name"; then
        lib_abort "${FUNCNAME[1]} $name: that node is still running (pid ${NODE_PID[$name]})"
    fi
    local log
    log=$(node_log "$name")
    touch "$log"
    NODE_LOGOFF[$name]=$(stat -c %s "$log")
    NODE_DATA[$name]=$data
    NODE_PORT[$name]=$port
    local listen=()
    [[ -n $endpoint ]] && listen=(--listen "$endpoint")
    # Keep the arguments for a restart (printf %q, one string per node).
    local saved="" a
    for a in "$@"; do saved+=" $(printf %q "$a")"; done
    eval "NODE_ARGS_$name=\$saved"
    local wrap=()
    [[ -n ${NODE_WRAP+x} ]] && wrap=("${NODE_WRAP[@]}")
    "${wrap[@]}" "$SD" --data "$data" "${listen[@]}" "$@" >>"$log" 2>&1 &
    NODE_PID[$name]=$!
    LIB_ALL_PIDS+=" $!"
    disown "$!"   # no "Killed" notices from bash; node_reap tracks it by pid
    if ! WAIT_POLL=0.05 wait_until 10 node_listening "$name"; then
        {
            echo "node $name did not start:"
            node_log_since_start "$name" | tail -n 5 | sed 's/^/    /'
        } >&7
        exit 1
    fi
}

# node_saved_args NAME — the arguments NAME was last started with, into the
# caller's array `args`.
node_saved_args() {
    local saved
    eval "saved=\$NODE_ARGS_$1"
    eval "args=($saved)"
}

# start_node NAME DATA PORT [sadasyad args...] — starts sadasyad listening on
# 127.0.0.1:PORT (PORT "-" for none), log in $T/NAME.log, and waits (10 s)
# until it listens. The arguments are kept for restart_node.
start_node() {
    local name=$1 data=$2 port=$3 endpoint=""
    shift 3
    [[ $port != - ]] && endpoint="tcp://127.0.0.1:$port"
    node_launch "$name" "$data" "$port" "$endpoint" "$@"
}

# restart_node NAME — starts it again with the same data, port and args.
restart_node() {
    local name=$1 args=()
    node_saved_args "$name"
    start_node "$name" "${NODE_DATA[$name]}" "${NODE_PORT[$name]}" "${args[@]}"
}

node_kill() {
    local pid=${NODE_PID[$1]:-}
    [[ -n $pid ]] && kill -"$2" "$pid" 2>/dev/null
    return 0
}

# node_reap NAME SECONDS — waits for the node's process to end and reaps it.
node_reap() {
    local pid=${NODE_PID[$1]:-} i
    [[ -z $pid ]] && return 0
    for ((i = 0; i < $2 * 10; i++)); do
        if ! pid_alive "$pid"; then
            unset "NODE_PID[$1]"
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# stop_node NAME — SIGTERM, then (after 10 s) SIGKILL. 0 if it stopped
# cleanly on SIGTERM.
stop_node() {
    node_kill "$1" TERM
    if node_reap "$1" 10; then return 0; fi
    echo "node $1 did not stop on SIGTERM within 10 s: killing it"
    node_kill "$1" KILL
    node_reap "$1" 5
    return 1
}

# stop_all_nodes — SIGTERM to every node still tracked, then (3 s later)
# SIGKILL to any left; all reaped.
stop_all_nodes() {
    local name
    for name in "${!NODE_PID[@]}"; do
        node_kill "$name" TERM
    done
    for name in "${!NODE_PID[@]}"; do
        node_reap "$name" 3 || { node_kill "$name" KILL; node_reap "$name" 2 || true; }
    done
}

# crash_node NAME — kill -9.
crash_node() {
    node_kill "$1" KILL
    node_reap "$1" 5
}

# --- reading nodes ------------------------------------------------------------

# total DATA — members in the node's view (stats total), or -1.
total() {
    local j
    j=$(timeout "$LIB_CMD_TIMEOUT" "$S" --data "$1" --json stats 2>/dev/null)
    if [[ $j =~ \"total\":([0-9]+) ]]; then echo "${BASH_REMATCH[1]}"; else echo -1; fi
}

# log_lines DATA — number of signed entries the node holds.
log_lines() {
    timeout "$LIB_CMD_TIMEOUT" "$S" --data "$1" --json log 2>/dev/null | wc -l
}

# bundle_swap A B — A and B exchange their logs by bundle, each way once.
bundle_swap() {
    # The first is the national node: its bundle must name its recipient.
    must "$S" --data "$1" bundle create "$T/swap.bundle" --for IN >/dev/null
    must "$S" --data "$2" bundle apply "$T/swap.bundle" >/dev/null
    must "$S" --data "$2" bundle create "$T/swap.bundle" >/dev/null
    must "$S" --data "$1" bundle apply "$T/swap.bundle" >/dev/null
    rm -f "$T/swap.bundle"
}

# forge_offer LABEL NAT SRC FORGE ARGS... — SRC's own key signs a forged
# join (tests/tools/forge at FORGE, with ARGS after SRC) into SRC's log and
# NAT applies SRC's bundle: checks that it was signed and that NAT refused
# it. $T/out and $T/err hold the apply's output for further checks; undo
# with forge_undo SRC once done.
forge_offer() {
    local label=$1 nat=$2 src=$3 forge=$4
    shift 4
    [[ -d $T/forge.clean ]] || cp -a "$src" "$T/forge.clean"
    run "$forge" "$src" "$@"
    check "forge $label: signed into the log" test "$RC" -eq 0
    must "$S" --data "$src" bundle create "$T/forge.bundle" >/dev/null
    sd "$nat" bundle apply "$T/forge.bundle"
    check "forged $label: refused" grep -q "1 rejected" "$T/out"
}

# forge_undo SRC — SRC's store as it was before the first forge_offer.
forge_undo() {
    rm -rf "$1" "$T/forge.bundle"
    cp -a "$T/forge.clean" "$1"
}

# refused DESC PATTERN DATA ARGS... — two checks: the CLI on DATA with ARGS
# fails with exactly one "sadasya: error: " line, matching PATTERN (grep -E)
# and holding no raw ESC, and it writes nothing (log_lines unchanged).
refused() {
    local desc=$1 pat=$2 d=$3 before
    shift 3
    before=$(log_lines "$d")
    sd "$d" "$@"
    check "$desc: refused with one clear error line" \
        bash -c "[[ $RC -ne 0 ]] && [[ \$(wc -l <'$T/err') -eq 1 ]] &&
                 grep -q '^sadasya: error: ' '$T/err' && grep -Eq -- \"\$1\" '$T/err' &&
                 ! grep -q \"\$2\" '$T/err'" _ "$pat" $'\e'
    check "$desc: nothing written" test "$(log_lines "$d")" = "$before"
}

# evidence DATA — equivocation evidence records held (sync-status), or -1.
evidence() {
    timeout "$LIB_CMD_TIMEOUT" "$S" --data "$1" --json sync-status 2>/dev/null |
        "$PY" -c 'import json,sys; print(json.load(sys.stdin)["evidence"])' 2>/dev/null || echo -1
}

# Members' export lines or log entries (JSON Lines on stdin) without their
# personal data.
LIB_NO_PERSONAL='
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        print(line.rstrip()); continue
    for k in ("name", "name_en", "phone", "email", "guardian", "birth_year",
              "address", "personal_held", "personal"):
        m.pop(k, None)
    print(json.dumps(m, sort_keys=True))
'

# snapshot DATA — what must be equal on converged nodes: stats by several
# dimensions, every member (export, sorted, without personal data), and
# every signed entry (log, sorted). Printed as a few lines; compare with
# snapshot of another node.
snapshot() {
    local d=$1 dim
    for dim in state district gender status month; do
        timeout "$LIB_CMD_TIMEOUT" "$S" --data "$d" --json stats --by "$dim" 2>&1 || echo "stats failed"
    done
    # Personal data is held only by the member's chapter and the national
    # office (node/README.md), so members and entries are compared without
    # it (an entry still commits to its blob's hash).
    echo "export $(timeout "$LIB_CMD_TIMEOUT" "$S" --data "$d" export --format jsonl 2>&1 |
        "$PY" -c "$LIB_NO_PERSONAL" | LC_ALL=C sort | sha256sum)"
    local log
    log=$(timeout "$LIB_CMD_TIMEOUT" "$S" --data "$d" --json log 2>&1)
    echo "log lines $(printf '%s\n' "$log" | grep -c .)"
    echo "log $(printf '%s\n' "$log" | "$PY" -c "$LIB_NO_PERSONAL" | LC_ALL=C sort | sha256sum)"
}

# converged DATA... — 0 when every node shows the same snapshot. The last
# difference found is left in $T/converge.diff.
converged() {
    local first=$1 d
    snapshot "$first" >"$T/snap.0"
    for d in "${@:2}"; do
        snapshot "$d" >"$T/snap.1"
        if ! cmp -s "$T/snap.0" "$T/snap.1"; then
            { echo "$first vs $d:"; diff "$T/snap.0" "$T/snap.1" | head -20; } >"$T/converge.diff"
            return 1
        fi
    done
    return 0
}

# wait_converged TIMEOUT_S DATA... — check that they converge in time.
wait_converged() {
    local limit=$1
    shift
    if wait_until "$limit" converged "$@"; then
        note "converged in ${WAITED_MS} ms"
        return 0
    fi
    echo "not converged after ${limit}s:"
    sed 's/^/    /' "$T/converge.diff" 2>/dev/null | cut -c1-200
    return 1
}

# verify_ok DATA — `sadasya verify` exits 0.
verify_ok() {
    sd "$1" verify
    if [[ $RC -ne 0 ]]; then
        sed 's/^/    verify: /' "$T/out" | head -5
        return 1
    fi
}

# verify_all DATA... — one check per node that verify is clean.
verify_all() {
    local d
    for d in "$@"; do
        check "verify clean on $(basename "$d")" verify_ok "$d"
    done
}

# peer_field DATA ENDPOINT_SUBSTRING FIELD — a field of that peer in
# `sync-status --json` (empty when no such peer).
peer_field() {
    timeout "$LIB_CMD_TIMEOUT" "$S" --data "$1" --json sync-status 2>/dev/null |
        "$PY" -c '
import json, sys
d = json.load(sys.stdin)
for p in d["peers"]:
    if sys.argv[1] in p["endpoint"]:
        v = p[sys.argv[2]]
        print(str(v).lower() if isinstance(v, bool) else v)
        break
' "$2" "$3" 2>/dev/null
}

# CSV of N members with unique phones: gen_csv FILE N PHONE_BASE
gen_csv() {
    "$PY" - "$1" "$2" "$3" <<'EOF'
import sys
path, n, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
names = ["सीता देवी", "राम प्रसाद", "गीता कुमारी", "मोहन लाल", "अनीता सिंह", "सुरेश यादव"]
genders = ["female", "male", "female", "male", "female", "male"]
districts = ["Patna", "Gaya", "Muzaffarpur", "Bhagalpur", "Darbhanga"]
with open(path, "w", encoding="utf-8") as f:
    f.write("name,gender,phone,district\n")
    for i in range(n):
        k = i % len(names)
        f.write(f"{names[k]} {i},{genders[k]},{base + i},{districts[i % len(districts)]}\n")
EOF
}
