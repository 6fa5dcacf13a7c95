# shellcheck shell=bash disable=SC2034  # globals shared with lib.sh and the tests
# lib_fault.sh — what the fault tests (tests/fault/test_*.sh) share on top of
# tests/integration/lib.sh (nodes, checks, bounded waits, the EXIT trap):
#
#   . "$(dirname "$0")/lib_fault.sh"
#   lib_init NAME "$@"
#
#   FAULT_LONG=1     the long variant (more rounds, longer faults)
#   reg_ack DATA DISTRICT     registers a member with a fresh phone number;
#                    when `register` exits 0 the number it printed is an
#                    acknowledged registration (kept in $T/acked, and in
#                    REG_NUM). Not in $(...): the phone counter must stay.
#   ack_import CSV   every row of CSV (after an import that exited 0) is
#                    acknowledged, by its phone
#   acked_count      acknowledged members so far
#   check_acked LABEL DATA...   one check per node: every acknowledged
#                    member present exactly once (by phone; by number too
#                    where `register` printed one), no phone twice, no
#                    number twice; counts lost/doubled into LOST/DOUBLED
#   check_gapless LABEL DATA... one check per node: `log --json` seqs run
#                    1..head for every origin, no gap, no repeat
#   figure KEY VALUE a figure for tests/fault/run.sh (REPORT.md)
#   skip REASON      the machine cannot run this test: exit 77
#
# Phones (reg_ack, gen_rows) are unique within the test.

_fault_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/lib.sh
. "$_fault_here/../integration/lib.sh"

FAULT_LONG=${FAULT_LONG:-0}
PHONE_NEXT=${PHONE_NEXT:-8100000000}
LOST=0
DOUBLED=0
VOID_TAKEN=0     # members signed past their key's cut found on a node
CHECKED=0        # member presences checked (members x nodes)

FAULT_NAMES=("सीता देवी" "राम प्रसाद" "गीता कुमारी" "मोहन लाल" "अनीता सिंह" "सुरेश यादव")

# reg_ack DATA DISTRICT — 0 and the number in REG_NUM when acknowledged.
REG_NUM=""
reg_ack() {
    local d=$1 district=${2:-Patna} phone out rc=0 g
    PHONE_NEXT=$((PHONE_NEXT + 1))
    phone=$PHONE_NEXT
    REG_NUM=""
    g=female
    (( phone % 2 )) && g=male
    out=$(timeout "$LIB_CMD_TIMEOUT" "$S" --data "$d" register \
        --name "${FAULT_NAMES[phone % 6]} $phone" --gender "$g" --phone "$phone" \
        --district "$district" 2>>"$T/reg.err") || rc=$?
    if [[ $rc -eq 0 && $out =~ ^[A-Z]{2,3}-[0-9]{7}-[0-9]$ ]]; then
        echo "$out $phone" >>"$T/acked"
        REG_NUM=$out
        return 0
    fi
    return 1
}

# gen_rows CSV N — a CSV of N members with fresh phones.
gen_rows() {
    local base=$((PHONE_NEXT + 1))
    PHONE_NEXT=$((PHONE_NEXT + $2))
    gen_csv "$1" "$2" "$base"
}

ack_import() {
    tail -n +2 "$1" | cut -d, -f3 | sed 's/^/- /' >>"$T/acked"
}

acked_count() { [[ -s $T/acked ]] && wc -l <"$T/acked" || echo 0; }

# The checker: stdin the node's `export` (CSV); prints "members M acked A
# lost L doubled D" and the first problems.
_fault_checker() {
    [[ -e $T/checker.py ]] || cat >"$T/checker.py" <<'PYEOF'
import csv, os, sys
from collections import Counter
acked = {}            # phone -> number, or None for an imported row
if os.path.exists(sys.argv[1]):
    for line in open(sys.argv[1]):
        num, phone = line.split()
        acked[phone] = None if num == "-" else num
rows = list(csv.DictReader(sys.stdin))
# A chapter holds personal data for its own state's members only (node/
# README.md, where personal data goes): other members come without a
# phone. Those are matched by number; an imported row (no number known)
# only where its phone is held. The national node holds every phone, so
# a member lost anywhere is still caught there.
held = [r for r in rows if r["phone"]]
all_held = len(held) == len(rows)
phones = Counter(r["phone"] for r in held)
numbers = Counter(r["number"] for r in rows)
by_phone = {}
for r in held:
    by_phone.setdefault(r["phone"], []).append(r["number"])
lost, doubled, problems = 0, 0, []
for phone, num in acked.items():
    if num is not None and numbers.get(num, 0) == 0:
        lost += 1
        problems.append("lost: %s %s" % (num, phone))
    elif phones.get(phone, 0) == 0:
        if num is None and all_held:
            lost += 1
            problems.append("lost: (imported) %s" % phone)
    elif num is not None and num not in by_phone[phone]:
        lost += 1
        problems.append("lost: %s (phone %s is on %s)" % (num, phone, by_phone[phone]))
for phone, c in phones.items():
    if c > 1:
        doubled += c - 1
        problems.append("doubled: phone %s as %s" % (phone, by_phone[phone]))
for num, c in numbers.items():
    if c > 1:
        doubled += c - 1
        problems.append("doubled: number %s x%d" % (num, c))
# Members a key signed past its cut (tests/fault/test_kill_rounds.sh's
# rotations): acknowledged by the old device, void everywhere (node/README.md).
void_taken = 0
if len(sys.argv) > 2 and os.path.exists(sys.argv[2]):
    for line in open(sys.argv[2]):
        num, phone = line.split()
        if any(n == num for n in by_phone.get(phone, [])):
            void_taken += 1
            problems.append("void member present: %s %s" % (num, phone))
print("members %d acked %d lost %d doubled %d void %d"
      % (len(rows), len(acked), lost, doubled, void_taken))
for p in problems[:10]:
    print("    " + p)
PYEOF
    "$PY" "$T/checker.py" "$T/acked" "$T/voided"
}

_fault_acked_ok() {
    local d=$1 line
    timeout "$LIB_CMD_TIMEOUT" "$S" --data "$d" export >"$T/export.csv" 2>"$T/export.err" || {
        echo "    export failed: $(head -n 1 "$T/export.err")"
        return 1
    }
    _fault_checker <"$T/export.csv" >"$T/checker.out"
    line=$(head -n 1 "$T/checker.out")
    local l dbl a vt
    read -r _ _ _ a _ l _ dbl _ vt <<<"$line"
    LOST=$((LOST + l))
    DOUBLED=$((DOUBLED + dbl))
    VOID_TAKEN=$((VOID_TAKEN + vt))
    CHECKED=$((CHECKED + a))
    if [[ $l -ne 0 || $dbl -ne 0 || $vt -ne 0 ]]; then
        cat "$T/checker.out"
        return 1
    fi
    ACKED_LINE=$line
}

check_acked() {
    local label=$1 d
    shift
    for d in "$@"; do
        ACKED_LINE=""
        check "$label: every acknowledged member once on $(basename "$d")" _fault_acked_ok "$d"
        [[ -n $ACKED_LINE ]] && note "    $(basename "$d"): $ACKED_LINE"
    done
}

# seqs of every origin in `log --json` run 1..n.
_fault_gapless_ok() {
    timeout "$LIB_CMD_TIMEOUT" "$S" --data "$1" --json log 2>/dev/null | "$PY" -c '
import json, sys
seqs = {}
for line in sys.stdin:
    e = json.loads(line)
    seqs.setdefault(e["state"] + ":" + e["origin"][:8], []).append(e["seq"])
bad = 0
for o, s in seqs.items():
    if sorted(s) != list(range(1, len(s) + 1)):
        bad += 1
        missing = sorted(set(range(1, max(s) + 1)) - set(s))[:5]
        print("    %s: %d entries, head %d, missing %s" % (o, len(s), max(s), missing))
sys.exit(1 if bad or not seqs else 0)
'
}

check_gapless() {
    local label=$1 d
    shift
    for d in "$@"; do
        check "$label: no gap in any origin's log on $(basename "$d")" _fault_gapless_ok "$d"
    done
}

figure() {
    echo "figure: $1=$2"
}

skip() {
    LIB_DONE=1
    echo "SKIP: $*"
    echo "test_$TEST_NAME: skipped: $*"
    exit 77
}
