#!/usr/bin/env bash
# test_tamper.sh — `sadasya verify` (and tests/cli/independent_verify.py)
# against stores altered behind sadasya's back with tests/tools/tamper.c:
# a log byte (signature or entry), a counter, a member view record, a
# personal blob. Each alteration is made in a copy (cp -a) of a small
# federation's BR data dir; verify must exit 1 and name what was altered.
# Also: verify on a read-only copy, as root and as an unprivileged user.
#
#   tests/cli/test_tamper.sh SADASYA_BINARY BUILD_DIR     (BUILD_DIR/tamper)
#
# Prints each failure, then "test_tamper: N passed, M failed"; exits 1 if M>0.
# Checks run through `eval '…'` on purpose.
# shellcheck disable=SC2016,SC2317  # (SC2317: helpers are called through check)

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init tamper "SADASYA_BINARY BUILD_DIR" "$@"
HERE=$(cd "$(dirname "$0")" && pwd)
IV="$HERE/independent_verify.py"
# (tamper with no arguments prints its usage and exits 2.)
cli_copy "$BUILD/tamper" tamper 2
TAMPER=$T/tamper
if [[ ! -x $TAMPER ]]; then
    echo "test_tamper: $BUILD/tamper is missing (cmake --build builds tests/tools/tamper.c)"
    echo "test_tamper: 0 passed, 1 failed"
    exit 1
fi
CLI_OUT_LINES=8
json_ok_is() {  # verify --json's "ok" is $1 (true|false)
    [[ $("$PY" -c 'import json,sys; print(str(json.load(sys.stdin)["ok"]).lower())' <"$T/out") == "$1" ]]
}

# --- a small federation --------------------------------------------------------
NAT=$T/national
BR=$T/bihar
"$S" --data "$NAT" init --national >/dev/null
NK=$(key_of "$NAT")
"$S" --data "$BR" init --state BR --name Bihar --trust "$NK" >/dev/null
BK=$(key_of "$BR")
"$S" --data "$NAT" roster add --state BR --name Bihar --key "$BK" >/dev/null
reg() { "$S" --data "$BR" register "$@"; }
N1=$(reg --name "राजीव रंजन प्रसाद" --name-en "Rajiv Ranjan Prasad" --gender male --phone +919876543210 --district Patna)
N2=$(reg --name "अनुराग समरूप" --gender male --phone 9876543211 --district Gaya)
reg --name "रागिनी रंजन" --gender female --phone 9876543212 --district Patna >/dev/null
N4=$(reg --name "दीपक कुमार वर्मा" --gender male --phone 9876543213 --district Muzaffarpur)
"$S" --data "$BR" update "$N1" --phone 9000000001 >/dev/null
"$S" --data "$BR" status "$N4" inactive --reason moved >/dev/null
check "federation: four BR members" [ "$N2" = BR-0000002-9 ]

FEDERATED=0
if "$S" --data "$NAT" bundle create "$T/nat.bundle" --for IN >/dev/null 2>&1 &&
    "$S" --data "$BR" bundle apply "$T/nat.bundle" >/dev/null 2>&1; then
    FEDERATED=1
else
    note "bundle not available: BR verifies without the national roster (a warning)"
fi

run "$S" --data "$BR" verify
check "verify on the untouched store exits 0" ok
run "$S" --data "$BR" --json verify
check "verify --json on the untouched store: ok true" json_ok_is true
if [[ $FEDERATED -eq 1 ]]; then
    check "verify: no warnings once the roster is held" \
        eval '[[ $("$PY" -c "import json,sys; print(len(json.load(sys.stdin)[\"warnings\"]))" <"$T/out") == 0 ]]'
fi
run sh -c "'$S' --data '$BR' --json log | '$PY' '$IV'"
check "independent_verify.py accepts the untouched log" ok

# tampered NAME TAMPER-ARGS... — a fresh copy of BR's dir, altered; its path in $C.
tampered() {
    local name=$1
    shift
    C=$T/copy-$name
    rm -rf "$C"
    cp -a "$BR" "$C"
    run "$TAMPER" "$C" "$@"
    check "tamper $name: the tool changed the store" ok
}
# detects NAME PATTERN — verify (text and --json) fails naming PATTERN.
detects() {
    local name=$1 pat=$2
    run "$S" --data "$C" verify
    check "$name: verify exits 1" rc_is 1
    check "$name: verify names \"$pat\"" eval 'grep -F -- "$pat" "$T/out" | grep -q "^FAIL"'
    run "$S" --data "$C" --json verify
    check "$name: verify --json exits 1 with ok false" eval 'rc_is 1 && json_ok_is false'
    check "$name: verify --json lists \"$pat\" among the failures" eval "$PY"' -c "
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(sys.argv[1] in f for f in d[\"failures\"]) else 1)" "$pat" <"$T/out"'
}
# iv_flags NAME PATTERN — independent_verify.py rejects the copy's log.
iv_flags() {
    local name=$1 pat=$2
    "$S" --data "$C" --json log >"$T/copy.log"
    run "$PY" "$IV" "$T/copy.log"
    check "$name: independent_verify.py exits 1" rc_is 1
    check "$name: independent_verify.py names \"$pat\"" out_has "$pat"
}

# 1. A byte of BR seq 2's signature.
tampered log-sig log "$BK" 2 10
detects "log signature byte" "BR seq 2: bad signature"
detects "log signature byte" "BR seq 3: broken chain"
iv_flags "log signature byte" "BR seq 2: bad signature"

# 2. A byte of BR seq 2's entry: a letter of the district, so it still decodes.
OFF=$("$S" --data "$BR" --json log --state BR --from 2 | head -n1 | "$PY" -c '
import base64, json, sys
e = base64.b64decode(json.load(sys.stdin)["entry"])
print(64 + e.index(b"Gaya") + 1)')
tampered log-entry log "$BK" 2 "$OFF"
detects "log entry byte" "BR seq 2: bad signature"
iv_flags "log entry byte" "BR seq 2: bad signature"
iv_flags "log entry byte" "BR seq 3: broken chain"

# 3. A byte of the national log as BR holds it (the roster entry).
if [[ $FEDERATED -eq 1 ]]; then
    tampered nat-log log "$NK" 2 20
    detects "national log byte" "IN seq 2"
    iv_flags "national log byte" "IN seq 2: bad signature"
fi

# 4. Counters.
tampered counter-state counter state BR
detects "counter state/BR +1" 'counters entry "state/BR"'
tampered counter-district counter district BR/Patna
detects "counter district/BR/Patna +1" 'counters entry "district/BR/Patna"'
tampered counter-total counter total ""
detects "counter total +1" 'counters entry "total/"'
run "$S" --data "$C" --json log
check "counter tamper: the signed log itself is intact (independent check)" \
    eval '"$PY" "$IV" "$T/out" >/dev/null'

# 5. The member view record.
tampered member member "$N2"
detects "member view record" "members entry \"$N2\""
run "$S" --data "$C" --json show "$N2"
check "member tamper: show now disagrees with the log (Gaya → gaya)" \
    eval '"$PY" -c "import json,sys; sys.exit(0 if json.load(sys.stdin)[\"district\"] == \"gaya\" else 1)" <"$T/out"'

# 6. A personal blob.
tampered personal personal "$BK" 1
detects "personal blob" "BR seq 1: personal data does not match its signed hash"
iv_flags "personal blob" "BR seq 1: personal data does not match its signed hash"

# The original is untouched by all of this.
run "$S" --data "$BR" verify
check "the original store still verifies" ok

# --- a read-only copy -----------------------------------------------------------
RO=$T/readonly
cp -a "$BR" "$RO"
chmod -R a-w "$RO"
SUM=$(sha256sum <"$RO/data.mdb")
run "$S" --data "$RO" verify
check "verify on a read-only copy (as root) exits 0" ok
run "$S" --data "$RO" --json verify
check "verify --json on a read-only copy: ok true" eval 'ok && json_ok_is true'
check "verify leaves the read-only copy's files unchanged" \
    [ "$(sha256sum <"$RO/data.mdb")" = "$SUM" ]

# As an unprivileged user, for whom read-only is real.
ASUSER=()
if [[ $(id -u) -ne 0 ]]; then
    ASUSER=(env)   # already unprivileged
elif id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
    ASUSER=(setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups)
elif id nobody >/dev/null 2>&1 && command -v runuser >/dev/null; then
    ASUSER=(runuser -u nobody --)
fi
if [[ ${#ASUSER[@]} -gt 0 ]]; then
    chmod 755 "$T" "$T/sadasya" "$IV" 2>/dev/null || true
    mkdir -p "$T/user-tmp"
    chmod 1777 "$T/user-tmp"
    RU=$T/readonly-user
    cp -a "$BR" "$RU"
    chmod -R a+rX,a-w "$RU"
    run "${ASUSER[@]}" touch "$RU/probe"
    check "the copy really is read-only for the unprivileged user" eval '! ok'
    run "${ASUSER[@]}" cat "$RU/data.mdb"
    check "… and readable by that user" ok
    # Known issue: store_open's read-only fallback (MDB_NOLOCK after EACCES
    # on lock.mdb) reuses an MDB_env whose mdb_env_open failed: EINVAL.
    run "${ASUSER[@]}" env TMPDIR="$T/user-tmp" "$S" --data "$RU" verify
    check "verify as an unprivileged user on a read-only copy exits 0" ok
    run "${ASUSER[@]}" env TMPDIR="$T/user-tmp" "$S" --data "$RU" --json verify
    check "… and --json says ok true" eval 'ok && json_ok_is true'
    # A tampered read-only copy fails the same way.
    RT=$T/readonly-tampered
    cp -a "$BR" "$RT"
    "$TAMPER" "$RT" log "$BK" 2 10 >/dev/null
    chmod -R a+rX,a-w "$RT"
    run "${ASUSER[@]}" env TMPDIR="$T/user-tmp" "$S" --data "$RT" verify
    check "verify as an unprivileged user on a tampered read-only copy exits 1 naming BR seq 2" \
        eval 'rc_is 1 && out_has "BR seq 2: bad signature"'
else
    note "no way to run as an unprivileged user here: that sub-check is skipped"
fi

finish
