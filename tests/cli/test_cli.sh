#!/usr/bin/env bash
# test_cli.sh — the `sadasya` command-line contract (cli/README.md):
# every command but node/sync/card, its output shapes, and its refusals
# (one "sadasya: error:" line on stderr, non-zero exit, nothing written).
#
#   tests/cli/test_cli.sh SADASYA_BINARY BUILD_DIR
#
# Prints each failure, then "test_cli: N passed, M failed"; exits 1 if M>0.
# Checks run through `eval '…'` on purpose (SC2016), reading variables that
# the linter therefore thinks unused (SC2034).
# shellcheck disable=SC2016,SC2034,SC2317  # (SC2317: helpers are called through check)

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init cli "SADASYA_BINARY BUILD_DIR" "$@"    # (no tools needed here)
HERE=$(cd "$(dirname "$0")" && pwd)
IV="$HERE/independent_verify.py"    # run by Debian's python3, with python3-nacl

sd() { run "$S" "$@"; }
# One line on stderr, "sadasya: error: …", non-zero exit, nothing on stdout.
is_error() {
    [[ $RC -ne 0 ]] && [[ $(wc -l <"$T/err") -eq 1 ]] &&
        [[ $(head -c 16 "$T/err") == "sadasya: error: " ]] && [[ ! -s $T/out ]]
}
out_lines() { [[ $(grep -c '' "$T/out") -eq $1 ]]; }

# py EXPR [FILE] — evaluates a Python expression over FILE (default
# $T/out): `text`, its JSON lines `L` (None if not JSON), `d` the one JSON
# object when there is one, `C` its CSV rows; prints the result.
py() {
    "$PY" - "$1" "${2:-$T/out}" <<'EOF'
import csv, json, re, sys
expr, path = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
C = list(csv.reader(text.splitlines()))
try:
    L = [json.loads(x) for x in text.splitlines() if x.strip()]
except ValueError:
    L = None
d = L[0] if L and len(L) == 1 else None
r = eval("(" + expr + "\n)")
print(r if not isinstance(r, bool) else ("true" if r else "false"))
EOF
}
# pyt EXPR [FILE] — passes when EXPR is true.
pyt() { [[ $(py "$1" "${2:-$T/out}") == true ]]; }

# The state of a data dir as the user sees it: every signed entry and the
# totals. Bad input must leave it unchanged.
snap() {
    { "$S" --data "$1" --json log; "$S" --data "$1" --json stats --by district; } |
        sha256sum | cut -d' ' -f1
}
# refuses DESCRIPTION DIR COMMAND... — the command (run against DIR's node)
# fails with one error line and leaves DIR as it was.
refuses() {
    local desc=$1 dir=$2
    shift 2
    local before after
    before=$(snap "$dir")
    sd --data "$dir" "$@"
    after=$(snap "$dir")
    check "$desc: one-line error, non-zero exit" is_error
    check "$desc: nothing written" [ "$before" = "$after" ]
}

NAT=$T/national
BR=$T/bihar
JH=$T/jharkhand
HEX64='^[0-9a-f]{64}$'
NUM_RE='^BR-[0-9]{7}-[0-9]$'

# --- --help ----------------------------------------------------------------
sd --help
check "sadasya --help exits 0 with usage on stdout" eval 'ok && out_has usage'
BUNDLE_BUILT=1
sd bundle --help
if [[ $RC -ne 0 ]] && grep -q "not built" "$T/err"; then
    BUNDLE_BUILT=0
    note "bundle is not built yet: its --help and the bundle-based checks are skipped"
fi
for c in init id roster register import show list search update status stats \
         export verify log bundle; do
    [[ $c == bundle && $BUNDLE_BUILT -eq 0 ]] && continue
    sd "$c" --help
    check "$c --help exits 0 with usage on stdout, nothing on stderr" \
        eval 'ok && grep -qi usage "$T/out" && [[ ! -s $T/err ]]'
done

# --- init, id ----------------------------------------------------------------
sd --data "$NAT" init --national --name "Rashtriya Karyalaya"
check "init --national exits 0" ok
NK=$(tail -n1 "$T/out")
check "init --national: last stdout line is a 64-hex key" eval '[[ $NK =~ $HEX64 ]]'
check "data dir is mode 0700" [ "$(stat -c %a "$NAT")" = 700 ]
check "node.key is mode 0600" [ "$(stat -c %a "$NAT/node.key")" = 600 ]

sd --data "$NAT" --json id
check "id --json exits 0" ok
check "id --json: key, state IN, role national" \
    pyt "d['key'] == '$NK' and d['state'] == 'IN' and d['role'] == 'national'"
check "id --json: national_key is its own key" pyt "d['national_key'] == '$NK'"
sd --data "$NAT" id
check "id (text) names the key" eval 'ok && out_has "$NK"'

KEYSUM=$(sha256sum <"$NAT/node.key")
refuses "second init --national over an existing dir" "$NAT" init --national
check "second init --national: node.key unchanged" \
    [ "$(sha256sum <"$NAT/node.key")" = "$KEYSUM" ]
sd --data "$NAT" --json id
check "second init --national: id key unchanged" pyt "d['key'] == '$NK'"

sd --data "$BR" init --state BR --name Bihar --trust "$NK"
BK=$(tail -n1 "$T/out")
check "init --state BR: last stdout line is a 64-hex key" eval 'ok && [[ $BK =~ $HEX64 ]]'
check "state data dir is mode 0700" [ "$(stat -c %a "$BR")" = 700 ]
check "state node.key is mode 0600" [ "$(stat -c %a "$BR/node.key")" = 600 ]
sd --data "$JH" --json init --state JH --name Jharkhand --trust "$NK"
check "init --state JH --json gives the key" eval 'ok && [[ $(py "d[\"key\"]") =~ $HEX64 ]]'
JK=$(py "d['key']")
check "state keys differ" [ "$BK" != "$JK" -a "$BK" != "$NK" ]
sd --data "$BR" --json id
check "id --json on a state node: key, state, role, national_key" \
    pyt "d['key'] == '$BK' and d['state'] == 'BR' and d['role'] == 'state' and d['national_key'] == '$NK'"

for bad in bihar XYZW B1 IN; do
    sd --data "$T/bad-$bad" init --state "$bad" --name X --trust "$NK"
    check "init --state $bad is refused with one error line" is_error
    check "init --state $bad creates no dir" [ ! -e "$T/bad-$bad" ]
done
sd --data "$T/bad-trust" init --state UP --name X --trust 1234
check "init --state with a bad --trust key is refused" is_error
check "init with a bad --trust key creates no dir" [ ! -e "$T/bad-trust" ]
sd --data "$T/bad-both" init --national --state UP --name X
check "init with both --national and --state is refused" is_error

# --- roster ----------------------------------------------------------------
sd --data "$NAT" roster add --state BR --name Bihar --key "$BK" --endpoint tcp://127.0.0.1:7101
check "roster add BR on the national node" ok
sd --data "$NAT" roster add --state JH --name Jharkhand --key "$JK"
check "roster add JH on the national node" ok
sd --data "$T/up" init --state UP --name "Uttar Pradesh" --trust "$NK"
UK=$(tail -n1 "$T/out")
sd --data "$NAT" roster add --state UP --name "Uttar Pradesh" --key "$UK"
check "roster add UP" ok
sd --data "$NAT" roster revoke --state UP
check "roster revoke UP" ok
sd --data "$NAT" --json roster
check "roster --json lists BR (key, endpoint) and JH active, UP revoked" pyt "
{c['state']: (c['key'], c['endpoints'], c['status']) for c in d['chapters']} == {
 'BR': ('$BK', ['tcp://127.0.0.1:7101'], 'active'),
 'JH': ('$JK', [], 'active'), 'UP': ('$UK', [], 'revoked')}"
sd --data "$NAT" roster
check "roster (table) shows each chapter" eval 'ok && out_has "$BK" && out_has Jharkhand && out_has revoked'
sd --data "$NAT" roster list
check "roster list is the same listing" eval 'ok && out_has "$JK"'

refuses "roster add on a state node" "$BR" roster add --state BR --name Bihar --key "$BK"
check "roster add on a state node says national only" err_has national
refuses "roster revoke on a state node" "$BR" roster revoke --state JH
refuses "roster add with a bad key" "$NAT" roster add --state MP --name X --key abcd
refuses "roster add with a bad state code" "$NAT" roster add --state mp --name X --key "$UK"
refuses "roster add without --key" "$NAT" roster add --state MP --name X

# --- register ----------------------------------------------------------------
reg() { sd --data "$BR" register "$@"; }
reg --name "राजीव रंजन प्रसाद" --name-en "Rajiv Ranjan Prasad" --gender male \
    --phone +919876543210 --district Patna --area urban --birth-year 1968 \
    --email rajiv@example.org --guardian "रमेश प्रसाद" --occupation teacher \
    --interest culture --interest seva --payment-ref UPI-1001
N1=$(cat "$T/out")
check "register prints one number like BR-NNNNNNN-D" eval 'ok && out_lines 1 && [[ $N1 =~ $NUM_RE ]]'
check "first number is serial 1, check digit 7 (Verhoeff)" [ "$N1" = BR-0000001-7 ]
reg --name "अनुराग समरूप" --name-en "Anurag Samroop" --gender male \
    --phone 9876543211 --district Gaya --area rural
N2=$(cat "$T/out")
check "second register: BR-0000002-9" [ "$N2" = BR-0000002-9 ]
N1LOW=$(echo "$N1" | tr -d - | tr A-Z a-z)
reg --name "रागिनी रंजन" --name-en "Ragini Ranjan" --gender female \
    --phone 9876543212 --district Patna --area urban --referred-by "$N1LOW"
N3=$(cat "$T/out")
check "register with --referred-by in lower case without hyphens" eval 'ok && [[ $N3 =~ $NUM_RE ]]'
reg --name "दीपक कुमार वर्मा" --name-en "Deepak Kumar Verma" --gender male \
    --phone 9876543213 --district Muzaffarpur --fee-paise 2100
N4=$(cat "$T/out")
check "register with --fee-paise" eval 'ok && [[ $N4 =~ $NUM_RE ]]'
reg --name "शेखर" --name-en "Shekhar" --gender other --phone 9876543214 \
    --district Gaya --joined 2025-01-15
N5=$(cat "$T/out")
check "register with --joined" eval 'ok && [[ $N5 =~ $NUM_RE ]]'
check "numbers are gapless" [ "${N3:3:7}${N4:3:7}${N5:3:7}" = 000000300000040000005 ]
sd --data "$JH" register --name "रवि शंकर प्रसाद" --name-en "Ravi Shankar Prasad" \
    --gender male --phone 9431012345 --district Ranchi
J1=$(cat "$T/out")
check "JH register prints JH-0000001-7" eval 'ok && [[ $J1 == JH-0000001-7 ]]'

MEMBERS=5
FEES=$((1100 * 4 + 2100))

refuses "register without --phone" "$BR" register --name "शेखर" --gender male --district Gaya
check "register without --phone names the field" err_has phone
refuses "register without --gender" "$BR" register --name "शेखर" --phone 9876500000 --district Gaya
check "register without --gender names the field" err_has gender
refuses "register without --district" "$BR" register --name "शेखर" --gender male --phone 9876500000
check "register without --district names the field" err_has district
refuses "register without --name" "$BR" register --gender male --phone 9876500000 --district Gaya
check "register without --name names the field" err_has name
refuses "register with a bad gender" "$BR" register --name "शेखर" --gender dog --phone 9876500000 --district Gaya
refuses "register with a bad phone" "$BR" register --name "शेखर" --gender male --phone 12ab --district Gaya
refuses "register with a bad email" "$BR" register --name "शेखर" --gender male --phone 9876500000 --district Gaya --email not-an-email
refuses "register with a bad birth year" "$BR" register --name "शेखर" --gender male --phone 9876500000 --district Gaya --birth-year 19x0
refuses "register with an impossible birth year" "$BR" register --name "शेखर" --gender male --phone 9876500000 --district Gaya --birth-year 1700
refuses "register with a bad area" "$BR" register --name "शेखर" --gender male --phone 9876500000 --district Gaya --area moon
refuses "register with a bad fee" "$BR" register --name "शेखर" --gender male --phone 9876500000 --district Gaya --fee-paise lots
BADREF=${N1%?}$(( (${N1: -1} + 1) % 10 ))
refuses "register --referred-by with a wrong check digit" "$BR" register --name "शेखर" --gender male --phone 9876500000 --district Gaya --referred-by "$BADREF"
check "register --referred-by with a wrong check digit: the message says \"referred-by: NUMBER: wrong check digit (mistyped?)\"" \
    eval 'grep -qx "sadasya: error: referred-by: $BADREF: wrong check digit (mistyped?)" "$T/err"'
refuses "register with an unknown flag" "$BR" register --name "शेखर" --gender male --phone 9876500000 --district Gaya --colour blue

# Key file permissions are enforced.
chmod 0644 "$BR/node.key"
refuses "register with node.key mode 0644" "$BR" register --name "शेखर" --gender male --phone 9876500000 --district Gaya
check "register with node.key mode 0644: the error names node.key and its mode" \
    eval 'err_has node.key && err_has 644'
chmod 0600 "$BR/node.key"

# --- show ------------------------------------------------------------------
sd --data "$BR" show "$N1"
SHOW1=$(cat "$T/out")
check "show NUMBER names the member in Devanagari" eval 'ok && out_has "राजीव रंजन प्रसाद"'
for form in "$N1LOW" "$(echo "$N1" | tr -d -)" "$(echo "$N1" | tr A-Z a-z)"; do
    sd --data "$BR" show "$form"
    check "show $form (any case, with or without hyphens) is the same member" \
        eval 'ok && [[ "$(cat "$T/out")" == "$SHOW1" ]]'
done
sd --data "$BR" --json show "$N1"
check "show --json has the contract's fields" pyt "
set(['number','state','name','gender','phone','district','status','joined',
     'fee_paise','origin','seq']) <= set(d)"
check "show --json values" pyt "
d['number'] == '$N1' and d['state'] == 'BR' and d['name'] == 'राजीव रंजन प्रसाद'
and d['gender'] == 'male' and d['phone'].endswith('9876543210')
and d['district'] == 'Patna' and d['status'] == 'active'
and re.match(r'^\d{4}-\d{2}-\d{2}$', d['joined']) is not None
and d['fee_paise'] == 1100 and d['origin'] == '$BK' and d['seq'] == 1"
check "show --json: optional fields held" pyt "
d['name_en'] == 'Rajiv Ranjan Prasad' and d['email'] == 'rajiv@example.org'
and d['birth_year'] == 1968 and d['area'] == 'urban'"
sd --data "$BR" show "$N3" --json
check "--json after the command; referred_by canonical" \
    pyt "d['referred_by'] == '$N1' and d['gender'] == 'female'"
sd --data "$BR" --json show "$N5"
check "show --json: --joined date kept" pyt "d['joined'] == '2025-01-15'"
sd --data "$BR" --json show "$N4"
check "show --json: --fee-paise kept" pyt "d['fee_paise'] == 2100"

BAD1=${N1%?}$(( (${N1: -1} + 1) % 10 ))
sd --data "$BR" show "$BAD1"
check "show with a wrong check digit: one-line error" is_error
check "show with a wrong check digit: says check digit" err_has "check digit"
sd --data "$BR" show BR-12
check "show of a malformed number: one-line error" is_error
NOSUCH=$("$PY" -c '
d=[[0,1,2,3,4,5,6,7,8,9],[1,2,3,4,0,6,7,8,9,5],[2,3,4,0,1,7,8,9,5,6],[3,4,0,1,2,8,9,5,6,7],[4,0,1,2,3,9,5,6,7,8],[5,9,8,7,6,0,4,3,2,1],[6,5,9,8,7,1,0,4,3,2],[7,6,5,9,8,2,1,0,4,3],[8,7,6,5,9,3,2,1,0,4],[9,8,7,6,5,4,3,2,1,0]]
p=[[0,1,2,3,4,5,6,7,8,9],[1,5,7,6,2,8,3,0,9,4],[5,8,0,3,7,9,6,1,4,2],[8,9,1,6,0,4,3,5,2,7],[9,4,5,3,1,2,6,8,7,0],[4,2,8,6,5,7,3,9,0,1],[2,7,9,3,8,0,6,4,1,5],[7,0,4,6,9,1,3,2,5,8]]
inv=[0,4,3,2,1,5,6,7,8,9]
s="0000099"; c=0
for i,ch in enumerate(reversed(s)): c=d[c][p[(i+1)%8][int(ch)]]
print("BR-%s-%d" % (s, inv[c]))')
sd --data "$BR" show "$NOSUCH"
check "show of a valid number nobody holds: one-line error" is_error

# --- list ------------------------------------------------------------------
sd --data "$BR" --json list
check "list --json: one JSON line per member" eval 'ok && out_lines $MEMBERS'
check "list --json: members in number order" \
    pyt "[m['number'] for m in L] == ['$N1','$N2','$N3','$N4','$N5']"
sd --data "$BR" list
check "list (table) shows Devanagari names" eval 'ok && out_has "अनुराग समरूप" && out_has "दीपक कुमार वर्मा"'
sd --data "$BR" --json list --state BR
check "list --state BR" eval 'ok && out_lines $MEMBERS'
sd --data "$BR" --json list --state JH
check "list --state JH on the BR node before any sync: none" eval 'ok && out_lines 0'
sd --data "$BR" --json list --district Patna
check "list --district Patna: two members" pyt "sorted(m['number'] for m in L) == ['$N1','$N3']"
sd --data "$BR" --json list --district gaya --state BR
check "list --district (any case) --state" pyt "sorted(m['number'] for m in L) == ['$N2','$N5']"
sd --data "$BR" --json list --gender female
check "list --gender female" pyt "[m['number'] for m in L] == ['$N3']"
sd --data "$BR" --json list --gender other
check "list --gender other" pyt "[m['number'] for m in L] == ['$N5']"
sd --data "$BR" --json list --status active
check "list --status active: all" eval 'ok && out_lines $MEMBERS'
sd --data "$BR" --json list --limit 2
check "list --limit 2" pyt "[m['number'] for m in L] == ['$N1','$N2']"
sd --data "$BR" list --status inactive
check "list with no match says so (table)" eval 'ok && out_has "no members"'
sd --data "$BR" list --state bad
check "list --state bad: one-line error" is_error
sd --data "$BR" list --gender dog
check "list --gender dog: one-line error" is_error
sd --data "$BR" list --status sleeping
check "list --status sleeping: one-line error" is_error
sd --data "$BR" list --limit 0
check "list --limit 0: one-line error" is_error

# --- search ------------------------------------------------------------------
sd --data "$BR" --json search --phone +919876543211
check "search --phone with +91" pyt "[m['number'] for m in L] == ['$N2']"
sd --data "$BR" --json search --phone 9876543210
check "search --phone without +91 finds a number stored with it" pyt "[m['number'] for m in L] == ['$N1']"
sd --data "$BR" --json search --phone 9999999999
check "search --phone with no match: none" eval 'ok && out_lines 0'
sd --data "$BR" --json search --name "रंजन"
check "search --name with a Devanagari token" pyt "sorted(m['number'] for m in L) == ['$N1','$N3']"
sd --data "$BR" --json search --name "रा"
check "search --name with a Devanagari prefix" pyt "sorted(m['number'] for m in L) == ['$N1','$N3']"
sd --data "$BR" --json search --name "प्रसाद"
check "search --name: a later word of the name" pyt "[m['number'] for m in L] == ['$N1']"
sd --data "$BR" --json search --name Deepak
check "search --name with the Latin name-en" pyt "[m['number'] for m in L] == ['$N4']"
sd --data "$BR" --json search --name "dee ver"
check "search --name: Latin prefixes of several words, any case" pyt "[m['number'] for m in L] == ['$N4']"
sd --data "$BR" --json search --name "rajiv kumar"
check "search --name: every word must match" eval 'ok && out_lines 0'
sd --data "$BR" search --name "शेखर"
check "search (table) shows the member" eval 'ok && out_has "$N5"'
sd --data "$BR" search
check "search without --phone or --name: one-line error" is_error

# --- update ------------------------------------------------------------------
sd --data "$BR" update "$N2" --phone 9123456780 --district Muzaffarpur
check "update --phone --district exits 0" ok
check "... and names what changed" out_has "updated $N2 (phone, district)"
sd --data "$BR" --json log --state BR
nlog=$(wc -l < "$T/out")
sd --data "$BR" update "$N2" --district muzaffarpur --phone +919123456780
check "update to the values held: unchanged" eval 'ok && out_has "$N2 unchanged"'
sd --data "$BR" --json log --state BR
check "... and signs nothing" eval '[ "$(wc -l < "$T/out")" = "$nlog" ]'
sd --data "$BR" --json show "$N2"
check "update reflected in show" pyt "d['phone'] == '9123456780' and d['district'] == 'Muzaffarpur' and d['name'] == 'अनुराग समरूप'"
sd --data "$BR" --json search --phone 9123456780
check "search finds the new phone" pyt "[m['number'] for m in L] == ['$N2']"
sd --data "$BR" --json search --phone 9876543211
check "search no longer finds the old phone" eval 'ok && out_lines 0'
sd --data "$BR" --json list --district Muzaffarpur --state BR
check "list --district finds the new district" pyt "sorted(m['number'] for m in L) == ['$N2','$N4']"
sd --data "$BR" --json stats --by district
check "stats --by district follows the update" pyt "
{r['key']: r['members'] for r in d['rows']} == {'BR/Patna': 2, 'BR/Gaya': 1, 'BR/Muzaffarpur': 2}"
sd --data "$BR" update "$N1" --email rajiv.ranjan@example.org --name-en "Rajiv R. Prasad"
sd --data "$BR" --json show "$N1"
check "update of personal fields keeps the others" pyt "
d['email'] == 'rajiv.ranjan@example.org' and d['name_en'] == 'Rajiv R. Prasad'
and d['name'] == 'राजीव रंजन प्रसाद' and d['birth_year'] == 1968 and d['phone'].endswith('9876543210')"

refuses "update with a wrong check digit" "$BR" update "$BAD1" --district Gaya
check "update with a wrong check digit: says check digit" err_has "check digit"
refuses "update of a member that doesn't exist" "$BR" update "$NOSUCH" --district Gaya
refuses "update with a bad phone" "$BR" update "$N1" --phone 12ab
refuses "update with a bad email" "$BR" update "$N1" --email nope
refuses "update with a bad birth year" "$BR" update "$N1" --birth-year 3000x
refuses "update with nothing to update" "$BR" update "$N1"
refuses "update of a JH number on the BR node (not held)" "$BR" update "$J1" --district Patna

# --- status ----------------------------------------------------------------
sd --data "$BR" status "$N2" inactive --reason "moved to Delhi"
check "status inactive exits 0" ok
sd --data "$BR" --json show "$N2"
check "status reflected in show" pyt "d['status'] == 'inactive' and d['status_reason'] == 'moved to Delhi'"
sd --data "$BR" --json stats
check "stats: 1 inactive, 4 active" pyt "d['total'] == 5 and d['active'] == 4 and d['inactive'] == 1"
sd --data "$BR" --json stats --by status
check "stats --by status rows" pyt "{r['key']: r['members'] for r in d['rows']} == {'active': 4, 'inactive': 1}"
sd --data "$BR" --json list --status inactive
check "list --status inactive" pyt "[m['number'] for m in L] == ['$N2']"
sd --data "$BR" status "$N2" active
sd --data "$BR" status "$N2" inactive --reason "moved to Delhi"
sd --data "$BR" --json stats
check "status back and forth keeps the counts" pyt "d['active'] == 4 and d['inactive'] == 1 and d['total'] == 5"
refuses "status with a wrong check digit" "$BR" status "$BAD1" inactive
refuses "status of a member that doesn't exist" "$BR" status "$NOSUCH" inactive
refuses "status with an unknown status word" "$BR" status "$N1" sleeping
refuses "status of a JH number on the BR node (not held)" "$BR" status "$J1" inactive

# --- stats -------------------------------------------------------------------
for dim in state district gender status area month; do
    sd --data "$BR" --json stats --by "$dim"
    check "stats --by $dim --json shape" pyt "
d['dimension'] == '$dim' and isinstance(d['rows'], list) and len(d['rows']) > 0 and
all(set(['key','members','active','inactive','fee_paise']) <= set(r) for r in d['rows'])"
    check "stats --by $dim: rows sum to the total, fees included" pyt "
d['total'] == $MEMBERS and d['fee_paise'] == $FEES and
sum(r['members'] for r in d['rows']) == $MEMBERS and
sum(r['fee_paise'] for r in d['rows']) == $FEES and
all(r['active'] + r['inactive'] <= r['members'] for r in d['rows'])"
    sd --data "$BR" stats --by "$dim"
    check "stats --by $dim (table) ends with the total in rupees" \
        eval 'ok && grep -q "^TOTAL .*$((FEES / 100))\.00" "$T/out"'
done
sd --data "$BR" --json stats
check "stats defaults to --by state" pyt "d['dimension'] == 'state' and [(r['key'], r['members'], r['fee_paise']) for r in d['rows']] == [('BR', 5, $FEES)]"
sd --data "$BR" --json stats --by gender
check "stats --by gender rows, fee 1100 a member unless --fee-paise" pyt "
{r['key']: (r['members'], r['fee_paise']) for r in d['rows']} ==
{'male': (3, 1100 * 2 + 2100), 'female': (1, 1100), 'other': (1, 1100)}"
sd --data "$BR" --json stats --by area
check "stats --by area rows" pyt "{r['key']: r['members'] for r in d['rows']} == {'urban': 2, 'rural': 1, 'unspecified': 2}"
sd --data "$BR" --json stats --by month
THIS_MONTH=$(py "sorted(r['key'] for r in d['rows'])[-1]")
check "stats --by month rows: 2025-01 and the month of joining" pyt "
{r['key']: r['members'] for r in d['rows']} == {'2025-01': 1, '$THIS_MONTH': 4}
and re.match(r'^\d{4}-\d{2}$', '$THIS_MONTH') is not None"
sd --data "$BR" stats --by colour
check "stats --by an unknown dimension: one-line error" is_error
sd --data "$NAT" --json stats
check "stats on a node with no members: zero" pyt "d['total'] == 0 and d['fee_paise'] == 0 and d['rows'] == []"

# --- export ------------------------------------------------------------------
sd --data "$BR" export
check "export: CSV header and one line per member" pyt "
C[0][0] == 'number' and 'name' in C[0] and len(C) == 1 + $MEMBERS
and [r[0] for r in C[1:]] == ['$N1','$N2','$N3','$N4','$N5']"
check "export CSV carries the Devanagari names" eval 'out_has "रागिनी रंजन"'
sd --data "$BR" export --format csv
check "export --format csv: same row count" eval 'ok && out_lines $((MEMBERS + 1))'
sd --data "$BR" export --format jsonl
check "export --format jsonl: one JSON object per member" pyt "
len(L) == $MEMBERS and [m['number'] for m in L] == ['$N1','$N2','$N3','$N4','$N5']
and L[2]['name'] == 'रागिनी रंजन'"
sd --data "$BR" export --state JH
check "export --state JH on BR: header only" eval 'ok && out_lines 1'
sd --data "$BR" export --format xml
check "export --format xml: one-line error" is_error

# --- log ---------------------------------------------------------------------
ENTRIES=$((MEMBERS + 2 + 3))   # joins, two updates, three status changes
sd --data "$BR" --json log
check "log --json: one line per entry" eval 'ok && out_lines $ENTRIES'
cp "$T/out" "$T/br.log"
check "log --json lines have origin,state,seq,entry,sig,hash,personal" pyt "
all(set(['origin','state','seq','entry','sig','hash','personal']) <= set(x) for x in L)
and all(x['origin'] == '$BK' and x['state'] == 'BR' for x in L)
and [x['seq'] for x in L] == list(range(1, $ENTRIES + 1))
and all(re.match(r'^[0-9a-f]{64}$', x['hash']) for x in L)
and all((x['personal'] is None) == (i >= $MEMBERS and i != 5 and i != 6) for i, x in enumerate(L))"
sd --data "$BR" --json log --state BR --from 4
check "log --state BR --from 4" pyt "[x['seq'] for x in L] == list(range(4, $ENTRIES + 1))"
sd --data "$BR" --json log --state JH
check "log --state JH on BR: none" eval 'ok && out_lines 0'
sd --data "$BR" log
check "log (table): a line per entry naming the member" eval 'ok && out_lines $ENTRIES && out_has "$N3"'
sd --data "$BR" log --state bihar
check "log --state bihar: one-line error" is_error
sd --data "$NAT" --json log
check "national log: roster entries" eval 'ok && [[ $(grep -c "" "$T/out") -ge 4 ]]'
cp "$T/out" "$T/nat.log"

# --- verify, and an independent verifier ---------------------------------------
sd --data "$BR" verify
check "verify on BR exits 0" ok
sd --data "$BR" --json verify
check "verify --json: ok true, every entry and signature" pyt "
d['ok'] is True and d['entries'] == $ENTRIES and d['signatures'] == $ENTRIES and d['failures'] == []"
sd --data "$NAT" --json verify
check "verify --json on the national node: ok" eval 'ok && pyt "d[\"ok\"] is True"'
sd --data "$JH" verify
check "verify on JH exits 0" ok

run "$PY" "$IV" "$T/br.log"
check "independent_verify.py accepts BR's log" eval 'ok && grep -q "^independent verify: $ENTRIES entries, $ENTRIES signatures ok (PyNaCl), [1-9][0-9]* via openssl, chains ok" "$T/out"'
run "$PY" "$IV" <"$T/nat.log"
check "independent_verify.py accepts the national log (stdin)" ok
"$PY" - "$T/br.log" >"$T/br-badsig.log" <<'EOF'
import base64, json, sys
for i, line in enumerate(open(sys.argv[1])):
    r = json.loads(line)
    if i == 2:
        s = bytearray(base64.b64decode(r["sig"])); s[17] ^= 0x40
        r["sig"] = base64.b64encode(bytes(s)).decode()
    print(json.dumps(r))
EOF
run "$PY" "$IV" "$T/br-badsig.log"
check "independent_verify.py rejects a flipped signature byte (exit 1)" rc_is 1
check "independent_verify.py names the entry with the bad signature" \
    eval 'grep -q "BR seq 3: bad signature" "$T/out"'
"$PY" - "$T/br.log" >"$T/br-gap.log" <<'EOF'
import sys
for i, line in enumerate(open(sys.argv[1])):
    if i != 3:
        sys.stdout.write(line)
EOF
run "$PY" "$IV" "$T/br-gap.log"
check "independent_verify.py rejects a log with an entry left out" eval 'rc_is 1 && grep -q "gap" "$T/out"'

# --- carrying entries between nodes (bundle) -------------------------------------
if [[ $BUNDLE_BUILT -eq 1 ]]; then
    sd --data "$NAT" bundle create "$T/nat.bundle" --for IN
    check "bundle create on the national node" ok
    sd --data "$JH" bundle create "$T/jh.bundle"
    check "bundle create on JH" ok
    sd --data "$BR" bundle apply "$T/nat.bundle"
    check "bundle apply of the national log on BR" ok
    sd --data "$BR" bundle apply "$T/jh.bundle"
    check "bundle apply of JH's log on BR" ok
    sd --data "$BR" --json id
    check "BR is authorised once it holds the roster" pyt "d['roster'] == 'authorised'"
    sd --data "$BR" --json show "$J1"
    check "BR shows the JH member carried by bundle" pyt "d['state'] == 'JH' and d['district'] == 'Ranchi' and d['origin'] == '$JK'"
    refuses "update of a member of another state" "$BR" update "$J1" --district Patna
    check "update of another state's member says whose member it is" err_has JH
    refuses "status of a member of another state" "$BR" status "$J1" inactive
    sd --data "$BR" bundle apply "$T/jh.bundle"
    check "applying a bundle twice is harmless" ok
    sd --data "$BR" --json stats --by state
    check "stats --by state after the bundle: BR and JH" pyt "
{r['key']: r['members'] for r in d['rows']} == {'BR': 5, 'JH': 1} and d['fee_paise'] == $FEES + 1100"
    sd --data "$BR" --json verify
    check "verify after bundles: ok, no warnings" pyt "d['ok'] is True and d.get('warnings', []) == []"
    run sh -c "'$S' --data '$BR' --json log | '$PY' '$IV'"
    check "independent_verify.py accepts the merged log (three origins)" ok
else
    note "skipping update/status of another state's member: bundle not built"
fi

# --- districts typed in another case -------------------------------------------
# list --district matches any case; the district counters should agree.
sd --data "$T/case" init --state MH --name Maharashtra --trust "$NK"
sd --data "$T/case" register --name "शेखर" --gender male --phone 9800000001 --district Patna
sd --data "$T/case" register --name "रागिनी रंजन" --gender female --phone 9800000002 --district patna
sd --data "$T/case" --json list --district PATNA --state MH
check "list --district matches a district typed in any case" eval 'ok && out_lines 2'
sd --data "$T/case" --json stats --by district
check "stats --by district counts Patna and patna as one district" \
    pyt "len(d['rows']) == 1 and d['rows'][0]['members'] == 2"

# --- global options ----------------------------------------------------------
( cd "$T" && SADASYA_DATA="$BR" "$S" --json show "$N1" >"$T/out" 2>"$T/err" ) && RC=0 || RC=$?
check "SADASYA_DATA picks the data dir" eval 'ok && pyt "d[\"number\"] == \"$N1\""'
( cd "$T" && "$S" show "$N1" >"$T/out" 2>"$T/err" ) && RC=0 || RC=$?
check "no ./sadasya-data: one-line error" is_error
sd --data "$BR" frobnicate
check "unknown command: one-line error" is_error
sd --data "$T/nowhere" list
check "list on a missing data dir: one-line error" is_error
check "list on a missing data dir creates nothing" [ ! -e "$T/nowhere" ]

finish
