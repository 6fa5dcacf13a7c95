#!/usr/bin/env bash
# test_validation.sh — clean data (the intake issue): what `register` and
# `update` refuse (blank or bidi text, future dates, an unknown referrer of
# the own state, a fee below Rs 1, a likely duplicate unless
# --allow-duplicate), --fee in rupees, the check-digit error that does not
# tell the right digit, one "last activity" for `show` and `inactive`,
# attendance that does not undo a later status change and is refused for a
# future event, and a peer's entry (tests/tools/forge) refused for a blank
# name, a future birth year or joining date like local input.
#
#   tests/cli/test_validation.sh SADASYA_BINARY BUILD_DIR

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
lib_init validation "$@"

NAT=$T/nat
BR=$T/br
D() { date -u -d "$1 days" +%F; }
TODAY=$(D 0)
YEAR=$(date -u +%Y)
jv() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/out" "$1"; }
# num STATE SERIAL — the membership number with its right check digit.
num() {
    local d n e
    for d in 0 1 2 3 4 5 6 7 8 9; do
        n=$(printf '%s-%07d-%d' "$1" "$2" "$d")
        e=$("$S" --data "$BR" show "$n" 2>&1 || true)
        if [[ $e != *"wrong check digit"* ]]; then
            echo "$n"
            return
        fi
    done
}
reg() { sd "$BR" register --gender female --district Gaya "$@"; }
# refused_reg DESC PATTERN [FLAGS]... — register of Sita, with FLAGS
# replacing or adding to hers (the last of a repeated flag counts), refused.
refused_reg() {
    refused "$1" "$2" "$BR" register --name "सीता देवी" --gender female --phone 9431000001 \
        --district Gaya "${@:3}"
}

NK=$(init_national "$NAT" "Bharat Sangh")
BK=$(init_state "$BR" BR "बिहार" "$NK")
must "$S" --data "$NAT" roster add --state BR --name "बिहार" --key "$BK" >/dev/null

# --- blank, control and bidi text ------------------------------------------------

refused_reg "register: a name of only spaces" "name is empty" --name "   "
refused_reg "register: a blank district" "district is empty" --district "  "
refused_reg "register: a right-to-left override in the name" "name holds a bidirectional override" \
    --name $'सीता\u202eदेवी'
refused_reg "register: a line break in the guardian" "guardian holds a control character" --guardian $'राम\nप्रसाद'

# --- future dates ------------------------------------------------------------------

refused_reg "register: a birth year in the future" "birth year $((YEAR + 1)) is in the future" --birth-year $((YEAR + 1))
refused_reg "register: a joining date in the future" "joining date .* is after" --joined "$(D 5)"

# --- fees ----------------------------------------------------------------------------

refused_reg "register --fee-paise 11: did you mean --fee 11?" "below Rs 1: did you mean --fee 11\\?" --fee-paise 11
refused_reg "register --fee 0.50: below Rs 1" "below Rs 1" --fee 0.50
refused_reg "register --fee and --fee-paise together" "give the fee once" --fee 11 --fee-paise 1100
refused_reg "register --fee eleven" "not an amount in rupees" --fee eleven

i=10
for fee in 11 11.00 "₹11" "Rs 11" "Rs. 11"; do
    i=$((i + 1))
    reg --name "सदस्य $i" --phone "94310000$i" --fee "$fee"
    check "register --fee '$fee' takes it" test "$RC" -eq 0
    n=$(cat "$T/out")
    sd "$BR" --json show "$n"
    check "register --fee '$fee': 1100 paise" test "$(jv 'd["fee_paise"]')" = 1100
done
reg --name "सदस्य 20" --phone 9431000020 --fee "1,100.50"
sd "$BR" --json show "$(cat "$T/out")"
check "register --fee 1,100.50: 110050 paise" test "$(jv 'd["fee_paise"]')" = 110050

# --- referrers -----------------------------------------------------------------------

reg --name "सीता देवी" --phone 9431000001 --guardian "राम प्रसाद" --birth-year 1990
check "register Sita" test "$RC" -eq 0
R1=$(cat "$T/out")
UNKNOWN=$(num BR 99)
refused_reg "register --referred-by a number no member of BR has" "no member $UNKNOWN in BR" \
    --name "गीता" --phone 9431000002 --referred-by "$UNKNOWN"
JHREF=$(num JH 5)
reg --name "गीता" --phone 9431000002 --referred-by "$JHREF"
check "register --referred-by another state's number not held here: taken" test "$RC" -eq 0
check "... with a warning that it is not held here" \
    grep -q "^sadasya: warning: referred-by: $JHREF is not held here" "$T/err"
reg --name "रीता" --phone 9431000003 --referred-by "$R1"
check "register --referred-by a member of BR: taken" test "$RC" -eq 0
sd "$BR" --json show "$(cat "$T/out")"
check "... and shown" test "$(jv 'd["referred_by"]')" = "$R1"

# --- likely duplicates ----------------------------------------------------------------

refused_reg "register: the same phone again (written otherwise)" \
    "likely the same person as $R1 \\(same phone\\)" --name "सुनीता" --phone "+91 94310-00001"
refused_reg "register: the same name and guardian" "likely the same person as $R1" \
    --phone 9431000004 --guardian "राम प्रसाद"
refused_reg "register: the same name and birth year" "likely the same person as $R1" \
    --phone 9431000004 --birth-year 1990
reg --name "सीता देवी" --phone 9431000004 --birth-year 1995
check "register: the same name, another birth year and phone: not a duplicate" test "$RC" -eq 0
OTHER=$(cat "$T/out")
reg --name "सीता देवी" --phone 9431000001 --guardian "राम प्रसाद" --allow-duplicate
check "register --allow-duplicate: taken" test "$RC" -eq 0
refused "update: another member's phone" "likely the same person as $R1 \\(same phone\\)" \
    "$BR" update "$OTHER" --phone 9431000001
refused "update: a blank name" "name is empty" "$BR" update "$OTHER" --name "  "
refused "update: a birth year in the future" "in the future" \
    "$BR" update "$OTHER" --birth-year $((YEAR + 1))
sd "$BR" update "$OTHER" --address "Gaya"
check "update of an address is not a duplicate check" test "$RC" -eq 0
refused_reg "register: the same name written with other spacing, and guardian" \
    "likely the same person as $R1 \\(same name and guardian\\)" \
    --name "  सीता   देवी " --phone 9431000005 --guardian "राम  प्रसाद"

# import checks new rows as register does, and against each other
printf 'name,gender,phone,district,birth-year\n%s\n%s\n%s\n%s\n' \
    "सुनीता,F,9431000001,Gaya," "सीता देवी,F,9431000006,Gaya,1990" \
    "मीना,F,9431000007,Gaya," "मीना कुमारी,F,09431000007,Gaya," > "$T/dups.csv"
sd "$BR" stats
before=$(head -1 "$T/out")
sd "$BR" import "$T/dups.csv"
check "import: a row with a member's phone refused, naming the member" \
    bash -c "[[ $RC -ne 0 ]] && grep -q 'dups.csv:2: likely the same person as $R1 (same phone)' '$T/err'"
check "... the same name and birth year named" grep -q "dups.csv:3: likely the same person as $R1 (same name and birth year)" "$T/err"
check "... two new rows with one phone: the second named" \
    grep -q "dups.csv:5: likely duplicate: the same phone as line 4 of this file" "$T/err"
check "... and the first new row is not refused" bash -c "! grep -q 'dups.csv:4:' '$T/err'"
sd "$BR" stats
check "... nothing imported" test "$(head -1 "$T/out")" = "$before"
sd "$BR" --json import "$T/dups.csv" --skip-bad
check "import --skip-bad: only the row that is no duplicate" bash -c "[[ $RC -eq 0 ]] && grep -q '\"imported\":1,' '$T/out'"
printf 'name,gender,phone,district\n%s\n%s\n' "रेखा,F,9431000008,Gaya" "रेखा देवी,F,9431000008,Gaya" > "$T/dups2.csv"
sd "$BR" --json import "$T/dups2.csv" --allow-duplicate
check "import --allow-duplicate: both rows of one phone registered" bash -c "[[ $RC -eq 0 ]] && grep -q '\"imported\":2,' '$T/out'"

# --- the check digit ----------------------------------------------------------------------

last=${R1: -1}
WRONG=${R1%?}$(((last + 1) % 10))
sd "$BR" show "$WRONG"
check "a wrong check digit: 'NUMBER: wrong check digit (mistyped?)', the right one untold" \
    bash -c "[[ $RC -ne 0 ]] && grep -qx 'sadasya: error: $WRONG: wrong check digit (mistyped?)' '$T/err'"

# --- last activity ----------------------------------------------------------------------------

reg --name "कमला" --phone 9431000031 --joined "$(D -100)"
M1=$(cat "$T/out")
reg --name "विमला" --phone 9431000032 --joined "$(D -100)"
M2=$(cat "$T/out")
sd "$BR" --json show "$M1"
check "a paper form registered late: last activity is the joining date" \
    test "$(jv 'd["last_activity"]')" = "$(D -100)"
sd "$BR" --json inactive --since 30d
check "inactive shows the same last activity as show" \
    test "$(jv '[m["last_activity"] for m in d["members"] if m["number"]=="'"$M1"'"][0]')" = "$(D -100)"
sd "$BR" update "$M1" --occupation teacher
sd "$BR" --json show "$M1"
check "an update is activity" test "$(jv 'd["last_activity"]')" = "$TODAY"

must "$S" --data "$BR" status "$M2" inactive --reason "no reply" >/dev/null
sd "$BR" --json show "$M2"
check "marking inactive is not activity" test "$(jv 'd["last_activity"]')" = "$(D -100)"
OLD=$(must "$S" --data "$BR" event create --kind camp --mode offline --title "Old camp" --date "$(D -10)")
NOW=$(must "$S" --data "$BR" event create --kind camp --mode offline --title "Camp" --date "$TODAY")
TOM=$(must "$S" --data "$BR" event create --kind camp --mode offline --title "Next camp" --date "$(D 1)")
sd "$BR" --json event attend "$OLD" "$M1" "$M2"
check "attendance at an event before the status change: none reactivated" \
    test "$(jv 'str(d["recorded"])+" "+str(d["reactivated"])')" = "2 0"
sd "$BR" --json show "$M2"
check "... the member stays inactive" test "$(jv 'd["status"]')" = inactive
check "... and the event's date is her last activity" test "$(jv 'd["last_activity"]')" = "$(D -10)"
sd "$BR" --json inactive
check "... the same in inactive" \
    test "$(jv '[m["last_activity"] for m in d["members"] if m["number"]=="'"$M2"'"][0]')" = "$(D -10)"
sd "$BR" --json show "$M1"
check "an older event does not lower a later activity" test "$(jv 'd["last_activity"]')" = "$TODAY"
refused "attendance at a future event" "is dated $(D 1), in the future" \
    "$BR" event attend "$TOM" "$M2"
sd "$BR" --json event attend "$NOW" "$M2"
check "attendance at an event not before the status change reactivates" \
    test "$(jv 'str(d["reactivated"])')" = 1
sd "$BR" --json show "$M2"
check "... she is active again, last active today" \
    test "$(jv 'd["status"]+" "+d["last_activity"]')" = "active $TODAY"
sd "$BR" verify
check "verify agrees with the view" test "$RC" -eq 0

# --- what a peer signs -----------------------------------------------------------------------

FORGE=$T/bin/forge
if [[ -x $FORGE ]]; then
    bundle_swap "$NAT" "$BR"
    sd "$NAT" --json stats
    total=$(jv 'd["total"]' 2>/dev/null || sed -n 's/.*"total":\([0-9]*\).*/\1/p' "$T/out")
    check "national holds BR's members" test "${total:-0}" -gt 0
    serial=$(($(sed -n 's/^BR-0*\([0-9]*\)-.*/\1/p' <<<"$M2") + 1))
    for forged in "--name" "--birth-year" "--district" "--joined-day"; do
        case $forged in
        --name) value="   " why="name is empty" ;;
        --birth-year) value=$((YEAR + 1)) why="in the future" ;;
        --district) value="  " why="district is empty" ;;
        --joined-day) value=$(($(date -u +%s) / 86400 + 5)) why="joining date" ;;
        esac
        forge_offer "$forged" "$NAT" "$BR" "$FORGE" BR "$serial" "$forged" "$value"
        check "forged $forged: the warning says why ($why)" grep -q "$why" "$T/err"
        sd "$NAT" --json stats
        now=$(jv 'd["total"]' 2>/dev/null || sed -n 's/.*"total":\([0-9]*\).*/\1/p' "$T/out")
        check "forged $forged: national's total unchanged" test "$now" = "$total"
        forge_undo "$BR"
    done
else
    note "tests/tools/forge not built: the peer checks are skipped"
fi

finish
