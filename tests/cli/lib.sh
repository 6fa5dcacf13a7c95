# shellcheck shell=bash disable=SC2034  # globals read by the tests
# lib.sh — the harness the command-line tests (tests/cli/test_*.sh) share.
# Source it, then call cli_init:
#
#   . "$(dirname "$0")/lib.sh"
#   cli_init NAME "SADASYA_BINARY BUILD_DIR" "$@"
#   cli_copy "$BUILD/tamper" tamper 2      # more tools, if the test needs them
#   ...
#   check "what it shows" rc_is 0
#   finish                  # "test_NAME: N passed, M failed"; exit 1 if M > 0
#
# cli_init makes a private temp dir ($T, removed on exit with whatever the
# test made read-only; KEEP=1 keeps it), points TMPDIR at $T/tmp, unsets
# SADASYA_DATA and runs a private copy of the sadasya binary ($S): the build
# tree may be relinked meanwhile. A test that needs more at exit defines
# cli_at_exit.

set -euo pipefail

PY=/usr/bin/python3
PASS=0
FAIL=0
RC=0
CLI_OUT_LINES=0     # stdout lines a failed check shows
CLI_ERR_LINES=5     # stderr lines a failed check shows

# cli_init NAME USAGE SADASYA_BINARY [BUILD_DIR] — USAGE names the
# arguments; BUILD_DIR is required when USAGE names it (then in $BUILD).
cli_init() {
    CLI_NAME=$1
    local usage="usage: test_$1.sh $2"
    shift 2
    if [[ -z ${1:-} ]] || { [[ $usage == *BUILD_DIR* ]] && [[ -z ${2:-} ]]; }; then
        echo "$usage" >&2
        exit 2
    fi
    S=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
    if [[ -n ${2:-} ]]; then BUILD=$(cd "$2" && pwd); fi
    T=$(mktemp -d "${TMPDIR:-/tmp}/sadasya-test-$CLI_NAME.XXXXXX")
    trap cli_cleanup EXIT
    mkdir "$T/tmp"
    export TMPDIR="$T/tmp"    # verify's scratch store, python temp files
    unset SADASYA_DATA
    cli_copy "$S" sadasya
    S=$T/sadasya
}

cli_cleanup() {
    if declare -F cli_at_exit >/dev/null; then cli_at_exit; fi
    if [[ -n ${KEEP:-} ]]; then
        echo "kept $T"
        return
    fi
    chmod -R u+rwX "$T" 2>/dev/null || true
    rm -rf "$T"
}

# cli_copy SRC NAME [CODE] — copies SRC to $T/NAME, trying for 10 s until
# the copy runs: `sadasya --help` exits 0, another tool run without
# arguments exits CODE (any copy will do without CODE). Gives up quietly:
# the checks that use the tool then fail.
cli_copy() {
    local src=$1 name=$2 code=${3:-} rc
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        if cp "$src" "$T/$name" 2>/dev/null; then
            rc=0
            if [[ $name == sadasya ]]; then
                "$T/$name" --help >/dev/null 2>&1 || rc=$?
            elif [[ -n $code ]]; then
                "$T/$name" >/dev/null 2>&1 || rc=$?
                rc=$((rc == code ? 0 : 1))
            fi
            [[ $rc -eq 0 ]] && return 0
        fi
        sleep 1
    done
    return 0
}

# check DESCRIPTION COMMAND... — a pass when COMMAND succeeds; a failure
# shows the last command's output (CLI_OUT_LINES, CLI_ERR_LINES).
check() {
    local desc=$1
    shift
    if "$@"; then
        PASS=$((PASS + 1))
    else
        FAIL=$((FAIL + 1))
        echo "FAIL: $desc"
        if [[ $CLI_OUT_LINES -gt 0 && -s $T/out ]]; then
            sed 's/^/    stdout: /' "$T/out" | head -"$CLI_OUT_LINES"
        fi
        if [[ -s $T/err ]]; then sed 's/^/    stderr: /' "$T/err" | head -"$CLI_ERR_LINES"; fi
    fi
}

note() { echo "note: $*"; }

# run COMMAND... — stdout in $T/out, stderr in $T/err, status in $RC; never
# trips set -e.
run() { RC=0; "$@" >"$T/out" 2>"$T/err" || RC=$?; }
ok() { [[ $RC -eq 0 ]]; }
rc_is() { [[ $RC -eq $1 ]]; }
# out_has TEXT, err_has TEXT — the last command's stdout (stderr) holds TEXT.
out_has() { grep -qF -- "$1" "$T/out"; }
err_has() { grep -qF -- "$1" "$T/err"; }

# key_of DATA — the node's public key.
key_of() { "$S" --data "$1" --json id | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["key"])'; }

finish() {
    echo "test_$CLI_NAME: $PASS passed, $FAIL failed"
    [[ $FAIL -eq 0 ]] || exit 1
    exit 0
}
