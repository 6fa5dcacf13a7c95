#!/usr/bin/env bash
# test_input.sh — what users type and what peers sign meet the same rules,
# and nothing printed passes a terminal escape through (issue 10, point 5).
#
# Local input: register, status, event and honour refuse terminal escapes,
# line breaks, bidi overrides, blank districts, fees above the limit and
# dates outside 2000-01-01..tomorrow, each with one clear error line that
# never echoes the escape raw. Peers: BR's own key signs, behind the write
# path's back (tests/tools/forge), joins with a fee of 2^64-1000 paise,
# joined_day 0 and a district holding ESC [31m; the national node refuses
# each from the bundle and its totals stay right. Printing: an error that
# quotes what the user typed shows the escape as "\x1b".
#
#   tests/cli/test_input.sh SADASYA_BINARY BUILD_DIR    (SADASYA_KEEP=1 keeps $T)

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
lib_init input "$@"

NAT=$T/nat
BR=$T/br
ESC=$'\e'


NK=$(init_national "$NAT" "Bharat Sangh")
BK=$(init_state "$BR" BR "बिहार" "$NK")
must "$S" --data "$NAT" roster add --state BR --name "बिहार" --key "$BK" >/dev/null

# --- local input --------------------------------------------------------------

refused "register: escape in --district" "district holds a control character" \
    "$BR" register --name "सीता" --gender female --phone 9876500001 --district "${ESC}[31mPatna"
refused "register: newline in --district" "district holds a control character" \
    "$BR" register --name "सीता" --gender female --phone 9876500001 --district $'Pat\nna'
refused "register: bidi override in --name" "name holds a bidirectional override" \
    "$BR" register --name $'Sita \u202eatiS' --gender female --phone 9876500001 --district Patna
refused "register: C1 control in --occupation" "occupation holds a control character" \
    "$BR" register --name "सीता" --gender female --phone 9876500001 --district Patna \
    --occupation $'teacher\u009b31m'
refused "register: blank --district" "district is empty" \
    "$BR" register --name "सीता" --gender female --phone 9876500001 --district "   "
refused "register: fee that would wrap the counters" "above the limit of 100000000 paise" \
    "$BR" register --name "सीता" --gender female --phone 9876500001 --district Patna \
    --fee-paise 18446744073709550616
refused "register: joined before 2000" "before 2000-01-01" \
    "$BR" register --name "सीता" --gender female --phone 9876500001 --district Patna \
    --joined 1999-12-31
refused "register: joined after tomorrow" "is after" \
    "$BR" register --name "सीता" --gender female --phone 9876500001 --district Patna \
    --joined "$(date -u -d '3 days' +%F)"

sd "$BR" register --name "सीता" --gender female --phone 9876500001 --district "पूर्वी चंपारण" \
    --fee-paise 100000000
check "register: Devanagari district and the largest fee taken" test "$RC" -eq 0
N1=$(cat "$T/out")
sd "$BR" list
check "list shows the Devanagari district" grep -q "पूर्वी चंपारण" "$T/out"

refused "status: escape in --reason" "reason holds a control character" \
    "$BR" status "$N1" inactive --reason "moved${ESC}[2J"
refused "event: newline in --title" "title holds a control character" \
    "$BR" event create --kind camp --mode offline --title $'Yoga\ncamp' --date "$(date -u +%F)"
refused "event: a date in the future" "after" \
    "$BR" event create --kind camp --mode offline --title "Yoga camp" --date "$(date -u -d '30 days' +%F)"
refused "honour: a date of 1990" "before 2000-01-01" \
    "$BR" honour "$N1" --title "Seva Ratna" --date 1990-05-01

# --- printing -------------------------------------------------------------------

sd "$BR" show "BR-${ESC}[31m42"
check "an error quoting typed text shows the escape as \\x1b" \
    bash -c "[[ $RC -ne 0 ]] && grep -qF 'BR-\\x1b[31m42' '$T/err' && ! grep -q \"\$1\" '$T/err'" _ "$ESC"

# --- what a peer signs ------------------------------------------------------------

FORGE=$T/bin/forge
if [[ -x $FORGE ]]; then
    bundle_swap "$NAT" "$BR"
    sd "$NAT" --json stats
    check "national holds BR's honest member" grep -q '"total":1,' "$T/out"
    forgeries=("--fee 18446744073709550616" "--joined-day 0" "--joined-day 4294967295"
               "--district ESC[31mPatna")
    for forged in "${forgeries[@]}"; do
        if [[ $forged == --district* ]]; then
            forge_offer "$forged" "$NAT" "$BR" "$FORGE" BR 2 --district "${ESC}[31mPatna"
        else
            # shellcheck disable=SC2086  # an option and its value
            forge_offer "$forged" "$NAT" "$BR" "$FORGE" BR 2 $forged
        fi
        check "forged $forged: the warning shows no raw escape" \
            bash -c "grep -q 'rejected BR seq 2' '$T/err' && ! grep -q \"\$1\" '$T/err'" _ "$ESC"
        sd "$NAT" --json stats
        check "forged $forged: totals unchanged (1 member, Rs 10,00,000)" \
            bash -c "grep -q '\"total\":1,' '$T/out' && grep -q '\"fee_paise\":100000000[,}]' '$T/out'"
        forge_undo "$BR"
    done
else
    note "tests/tools/forge not built: the peer checks are skipped"
fi

finish
