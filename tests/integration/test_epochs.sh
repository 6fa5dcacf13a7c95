#!/usr/bin/env bash
# shellcheck disable=SC2317  # helper functions are called through check/wait_until
# test_epochs.sh — a state's keys over time (node/README.md), live and by
# bundles only:
#   1. handover: the new key's series continues at the next serial, the old
#      key signs nothing more, its cards stay genuine, every node the same
#      members, verify clean everywhere; a --replacing node numbers nothing
#      before its roster entry arrives;
#   2. lost device: entries the lost key signed after the last one the
#      national held reached one chapter before the cut; they vanish there
#      (retracted, kept as evidence), no number is held by two members, the
#      next key's series starts past them (--lost), their cards are refused;
#   3. revocation without a successor: the key signs nothing more, its
#      members stay;
#   4. the same with bundles only, applied in different orders on two
#      nodes (roster first on one, the late entries first on the other).
#
#   tests/integration/test_epochs.sh SADASYA_BINARY BUILD_DIR
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
lib_init epochs "$@"

reg() { # reg DATA NAME PHONE DISTRICT — prints the number
    must "$S" --data "$1" register --name "$2" --gender female --phone "$3" --district "$4"
}
# numbers DATA — every member number the node's view holds, sorted.
numbers() {
    "$S" --data "$1" --json export --format jsonl 2>/dev/null |
        "$PY" -c 'import json,sys
for l in sys.stdin:
    if l.strip(): print(json.loads(l)["number"])' | LC_ALL=C sort
}
no_number_twice() { # no_number_twice DATA... — no number held twice anywhere
    local d
    for d in "$@"; do
        [[ -z $(numbers "$d" | uniq -d) ]] || return 1
    done
}
verify_clean() { local d; for d in "$@"; do "$S" --data "$d" verify >/dev/null 2>&1 || return 1; done; }
can_register() { "$S" --data "$1" register --name "$2" --gender male --phone "$3" --district Patna >"$T/reg.out" 2>"$T/reg.err"; }
has_member() { numbers "$1" | grep -qx "$2"; }
lacks_member() { ! numbers "$1" | grep -qx "$2"; }
serial_of() { local n=${1#*-}; n=${n%-*}; echo $((10#$n)); }
head_of() { # head_of DATA KEYHEX — the seq of that origin the node holds
    "$S" --data "$1" --json sync-status 2>/dev/null | "$PY" -c 'import json,sys
k=sys.argv[1]
print(next((o["seq"] for o in json.load(sys.stdin)["origins"] if o["origin"]==k), 0))' "$2"
}
# key_status DATA — what `id` says of the node's own key (authorised, …)
key_status() { "$S" --data "$1" id 2>/dev/null; }
voided() { # voided DATA — entries retracted (verify's warning count)
    "$S" --data "$1" verify 2>/dev/null | grep -Eo '^warning: [0-9]+ entries signed beyond' | grep -Eo '[0-9]+' || echo 0
}

export S PY
export -f numbers no_number_twice verify_clean has_member lacks_member voided

# --- live ----------------------------------------------------------------------
N=$T/national BR=$T/br BR2=$T/br2 BR3=$T/br3 JH=$T/jh
federation "$N" "$BR" "$JH"
PB2=$(free_port) PB3=$(free_port)
start_federation "$N" "$BR" "$JH"
B1=$(reg "$BR" "अनीता देवी" 9431100001 Patna)
B2=$(reg "$BR" "रमेश कुमार" 9431100002 Gaya)
B3=$(reg "$BR" "सीता कुमारी" 9431100003 Nalanda)
J1=$(reg "$JH" "झारखंड सदस्य" 9431200001 Ranchi)
check "three nodes converge before the handover" wait_converged 20 "$N" "$BR" "$JH"
must "$S" --data "$BR" --json card "$B1" --out "$T/b1.png" >"$T/b1.json"
B1PAY=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["payload"])' "$T/b1.json")

# 1. handover to a --replacing node
K2=$(must "$S" --data "$BR2" init --state BR --name Bihar --trust "$NK" --replacing | tail -n 1)
run "$S" --data "$BR2" register --name "जल्दी" --gender male --phone 9431100009 --district Patna
check "a --replacing node refuses to number before its roster entry arrives" \
    bash -c "[[ $RC -ne 0 ]] && grep -q 'roster entry' '$T/err' && [[ \$(wc -l <'$T/err') -eq 1 ]]"
sd "$N" roster add --state JH --name Jharkhand --key "$BK"
check "roster add refuses a key already listed for another state" \
    bash -c "[[ $RC -ne 0 ]] && grep -q 'already listed for BR' '$T/err'"
sd "$N" roster add --state UP --name UP --key "$NK"
check "roster add refuses the national key as a chapter key" \
    bash -c "[[ $RC -ne 0 ]] && grep -q 'national' '$T/err'"
sd "$N" roster add --state BR --name Bihar --key "$K2" --endpoint "tcp://127.0.0.1:$PB2"
FIRST2=$(tail -n 1 "$T/out" | awk '{print $NF}')
check "handover: the new key's first number continues the series (BR-0000004)" \
    bash -c "[[ $RC -eq 0 && '$FIRST2' == BR-0000004-* ]]"
start_node BR2 "$BR2" "$PB2" --peer "tcp://127.0.0.1:$PN"
check "the new node may number once its roster entry arrives" \
    wait_until 20 can_register "$BR2" "नई सदस्या" 9431100004
N4=$(cat "$T/reg.out")
check "its first member gets the first number roster add printed" \
    bash -c "[[ '$N4' == '$FIRST2' ]]"
check "the old key's node hears of the cut" \
    wait_until 20 bash -c "'$S' --data '$BR' id | grep -q replaced"
run "$S" --data "$BR" register --name x --gender male --phone 9431100099 --district Patna
check "... and signs nothing more, saying why in one line" \
    bash -c "[[ $RC -ne 0 ]] && grep -q 'handed over' '$T/err' && [[ \$(wc -l <'$T/err') -eq 1 ]]"
N5=$(reg "$BR2" "उषा देवी" 9431100005 Patna)
run "$S" --data "$BR2" update "$B2" --district Patna
check "the new key updates a member of the old key's log" bash -c "[[ $RC -eq 0 ]]"
run "$S" --data "$BR2" status "$B3" inactive --reason "moved away"
check "the new key changes the status of a member of the old key's log" bash -c "[[ $RC -eq 0 ]]"
run "$S" --data "$BR2" erase "$B2" --reason "member's letter"
check "the new key erases the personal data of a member of the old key's log" bash -c "[[ $RC -eq 0 ]]"
erased_on_n() { "$S" --data "$N" --json show "$B2" 2>/dev/null | grep -q '"name":null'; }
export -f erased_on_n
check "... and the erasure reaches the national node" wait_until 20 erased_on_n
# (The old key's node is retired: it fetches the national log only.)
check "after the handover every node holds the same members" \
    wait_converged 20 "$N" "$BR2" "$JH"
check "verify is clean on every node after the handover" verify_clean "$N" "$BR" "$BR2" "$JH"
run "$S" --data "$N" card-verify --payload "$B1PAY"
check "a card the old key signed stays genuine" bash -c "[[ $RC -eq 0 ]] && grep -q '$B1' '$T/out'"
run "$S" --data "$BR2" --json card "$B1" --out "$T/b1-new.png"
check "the new key issues a card for a member the old key registered" test "$RC" -eq 0
B1NEW=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["payload"])' "$T/out" 2>/dev/null)
run "$S" --data "$JH" card-verify --payload "${B1NEW:-none}"
check "... and that card is genuine on another node" bash -c "[[ $RC -eq 0 ]] && grep -q '$B1' '$T/out'"
check "the old key's members are still there, five BR members in all" \
    bash -c "[[ \$(numbers '$N' | grep -c ^BR-) -eq 5 ]]"

# 2. lost device: BR2's node goes offline and signs two members the
#    national never sees; a bundle of them reaches JH before the cut does.
check "the national node holds all the new key signed" wait_converged 20 "$N" "$BR2"
K2SEQ=$(head_of "$N" "$K2")
stop_node BR2
L1=$(reg "$BR2" "देर से एक" 9431100006 Patna)
L2=$(reg "$BR2" "देर से दो" 9431100007 Patna)
must "$S" --data "$BR2" --json card "$L1" --out "$T/l1.png" >"$T/l1.json"
L1PAY=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["payload"])' "$T/l1.json")
must "$S" --data "$BR2" bundle create "$T/late.bundle" --state BR >/dev/null
must "$S" --data "$JH" bundle apply "$T/late.bundle" >/dev/null
check "the late members reached JH before the cut" has_member "$JH" "$L1"
K3=$(must "$S" --data "$BR3" init --state BR --name Bihar --trust "$NK" --replacing | tail -n 1)
# The cut: the last entry of BR2's the national office saw before the late
# ones (JH's node may relay those to it meanwhile: they are void all the same).
sd "$N" roster add --state BR --name Bihar --key "$K3" --endpoint "tcp://127.0.0.1:$PB3" --lost --last-seq "$K2SEQ"
FIRST3=$(tail -n 1 "$T/out" | awk '{print $NF}')
check "--lost skips the series ahead past anything the lost device could have numbered" \
    bash -c "[[ $RC -eq 0 ]] && (( $(serial_of "${FIRST3:-X-0-0}") >= 10005 ))"
start_node BR3 "$BR3" "$PB3" --peer "tcp://127.0.0.1:$PN"
check "the late members vanish from JH once the cut arrives" \
    wait_until 20 lacks_member "$JH" "$L1"
check "JH keeps the retracted entries as evidence (verify)" bash -c "[[ \$(voided '$JH') -ge 2 ]]"
run "$S" --data "$JH" --json sync-status
check "... and sync-status shows them" \
    "$PY" -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["retracted"] < 2)' "$T/out"
check "the next key numbers from the skipped series" \
    wait_until 20 can_register "$BR3" "तीसरी कुंजी" 9431100008
N6=$(cat "$T/reg.out")
check "... with the number roster add printed" bash -c "[[ '$N6' == '$FIRST3' ]]"
check "after the lost-device cut every node holds the same members" \
    wait_converged 20 "$N" "$BR3" "$JH"
check "no number is held by two members on any node" no_number_twice "$N" "$BR" "$BR3" "$JH"
check "verify is clean on every node after the cut" verify_clean "$N" "$BR" "$BR3" "$JH"
run "$S" --data "$JH" card-verify --payload "$L1PAY"
check "a late member's card is refused" bash -c "[[ $RC -ne 0 ]]"
run "$S" --data "$JH" card-verify --payload "$B1PAY"
check "the first key's cards are still genuine" bash -c "[[ $RC -eq 0 ]]"

# The lost device comes back online: its late entries are void everywhere.
start_node BR2 "$BR2" "$PB2" --peer "tcp://127.0.0.1:$PN"
sleep 2
check "the lost device's node, back online, changes nobody's members" \
    wait_converged 20 "$N" "$BR3" "$JH"
check "... and the late members appear nowhere" \
    bash -c "! '$S' --data '$N' show '$L1' >/dev/null 2>&1 && ! '$S' --data '$JH' show '$L1' >/dev/null 2>&1"

# 3. revocation without a successor
sd "$N" roster revoke --state JH
check "roster revoke prints the cut" bash -c "[[ $RC -eq 0 ]] && grep -q 'ends at seq' '$T/out'"
check "the revoked chapter's node hears of it" \
    wait_until 20 bash -c "'$S' --data '$JH' id | grep -q revoked"
run "$S" --data "$JH" register --name y --gender male --phone 9431200099 --district Ranchi
check "... and signs nothing more" bash -c "[[ $RC -ne 0 ]] && grep -q 'revoked' '$T/err'"
check "its members stay on every node" bash -c "'$S' --data '$N' show '$J1' >/dev/null && '$S' --data '$BR3' show '$J1' >/dev/null"
check "after the revocation every node still agrees" wait_converged 20 "$N" "$BR3"
stop_node BR; stop_node BR2; stop_node BR3; stop_node JH; stop_node N

# --- bundles only, in two orders ------------------------------------------------
bn=$T/b-nat bb=$T/b-br bb2=$T/b-br2 bx=$T/b-x by=$T/b-y
NK=$(init_national "$bn" "Bharat Sangh")
BK=$(init_state "$bb" BR Bihar "$NK")
XK=$(init_state "$bx" UP "Uttar Pradesh" "$NK")
YK=$(init_state "$by" MP "Madhya Pradesh" "$NK")
must "$S" --data "$bn" roster add --state BR --name Bihar --key "$BK" >/dev/null
must "$S" --data "$bn" roster add --state UP --name UP --key "$XK" >/dev/null
must "$S" --data "$bn" roster add --state MP --name MP --key "$YK" >/dev/null
reg "$bb" "पहली" 9431300001 Patna >/dev/null
reg "$bb" "दूसरी" 9431300002 Patna >/dev/null
must "$S" --data "$bb" bundle create "$T/br1.bundle" >/dev/null
must "$S" --data "$bn" bundle apply "$T/br1.bundle" >/dev/null
must "$S" --data "$bn" bundle create "$T/nat0.bundle" --for IN >/dev/null
for d in "$bx" "$by"; do must "$S" --data "$d" bundle apply "$T/nat0.bundle" >/dev/null; done
# The device is lost after signing two more that only UP and MP receive.
late1=$(reg "$bb" "खोई तीसरी" 9431300003 Patna)
reg "$bb" "खोई चौथी" 9431300004 Patna >/dev/null
must "$S" --data "$bb" bundle create "$T/brlate.bundle" >/dev/null
K2=$(must "$S" --data "$bb2" init --state BR --name Bihar --trust "$NK" --replacing | tail -n 1)
sd "$bn" roster add --state BR --name Bihar --key "$K2" --lost
BFIRST=$(tail -n 1 "$T/out" | awk '{print $NF}')
must "$S" --data "$bn" bundle create "$T/nat.bundle" --for IN >/dev/null
# UP: the late entries first, then the roster with the cut.
must "$S" --data "$bx" bundle apply "$T/brlate.bundle" >/dev/null
check "bundles: UP took the late members first" has_member "$bx" "$late1"
must "$S" --data "$bx" bundle apply "$T/nat.bundle" >/dev/null
# MP: the roster first, then the late entries (refused as void).
must "$S" --data "$by" bundle apply "$T/nat.bundle" >/dev/null
sd "$by" bundle apply "$T/brlate.bundle"
check "bundles: MP refuses the late entries as past the cut" \
    bash -c "grep -q 'past the cut' '$T/out' '$T/err'"
must "$S" --data "$bb2" bundle apply "$T/nat.bundle" >/dev/null
B2N=$(reg "$bb2" "नई कुंजी" 9431300005 Patna)
check "bundles: the next key numbers from its first serial" bash -c "[[ '$B2N' == '$BFIRST' ]]"
must "$S" --data "$bb2" bundle create "$T/br2.bundle" --state BR >/dev/null
for d in "$bn" "$bx" "$by"; do must "$S" --data "$d" bundle apply "$T/br2.bundle" >/dev/null; done
check "bundles: UP and MP end with the same members whatever the order" \
    converged "$bn" "$bx" "$by"
check "bundles: the late members are nowhere" \
    bash -c "! numbers '$bx' | grep -qx '$late1' && ! numbers '$by' | grep -qx '$late1'"
check "bundles: verify clean everywhere" verify_clean "$bn" "$bx" "$by" "$bb2"
check "bundles: no number held twice" no_number_twice "$bn" "$bx" "$by" "$bb2"

# Auditors' own tool (PyNaCl only) follows the epochs: UP's whole log holds;
# the lost device's log beside the national's does not.
IV=$(dirname "$0")/../cli/independent_verify.py
"$S" --data "$bx" --json log >"$T/up.log"
run "$PY" "$IV" "$T/up.log"
check "independent_verify.py accepts a log across key epochs" test "$RC" -eq 0
{ "$S" --data "$bn" --json log --state IN; "$S" --data "$bb" --json log --state BR; } >"$T/lost.log"
run "$PY" "$IV" "$T/lost.log"
check "independent_verify.py refuses the lost device's entries past the cut" \
    bash -c "[[ $RC -ne 0 ]] && grep -q 'past its key.s cut' '$T/out' '$T/err'"

finish
