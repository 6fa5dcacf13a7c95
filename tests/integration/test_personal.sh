#!/usr/bin/env bash
# shellcheck disable=SC2317  # helper functions are called through check/wait_until
# test_personal.sh — personal data only where it belongs (node/README.md,
# "Where personal data goes"): a national office and three chapters (BR,
# JH, WB) sync over the network. Afterwards every node holds every entry
# and counts every member, but a chapter's store holds no phone number of
# another state's member (grepped in its LMDB file) while its own are
# there, and the national store holds all; verify is clean everywhere. An
# erasure reaches every holder (the national office and the member's
# chapter): the phone is no longer readable there, and a compacted copy
# holds none. A chapter's lists default to its own state; bundles carry
# personal data for their recipient only; audit reads a bundle.
#
#   tests/integration/test_personal.sh SADASYA_BINARY BUILD_DIR
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
lib_init personal "$@"

N=$T/national
declare -A DIR=() PORT=() KEY=() NAME=()
NAME[BR]=Bihar NAME[JH]=Jharkhand NAME[WB]="West Bengal"
NK=$(init_national "$N" "Bharat Sangh")
PORT[N]=$(free_port)
for st in BR JH WB; do
    DIR[$st]=$T/$st
    PORT[$st]=$(free_port)
    KEY[$st]=$(init_state "${DIR[$st]}" "$st" "${NAME[$st]}" "$NK")
    must "$S" --data "$N" roster add --state "$st" --name "${NAME[$st]}" \
        --key "${KEY[$st]}" --endpoint "tcp://127.0.0.1:${PORT[$st]}" >/dev/null
done

# Two members per chapter, each with a phone no other member has.
declare -A PHONES=() NUMS=()
reg() { # reg ST NAME PHONE DISTRICT
    local n
    n=$(must "$S" --data "${DIR[$1]}" register --name "$2" --gender female \
        --phone "$3" --district "$4")
    PHONES[$1]+=" $3"
    NUMS[$1]+=" $n"
}
reg BR "सुनीता कुमारी" 9431700001 Patna
reg BR "Rekha Sinha" 9431700002 Gaya
reg JH "Sarita Oraon" 9431700003 Ranchi
reg JH "Anjali Munda" 9431700004 Dumka
reg WB "মৌসুমী দাস" 9431700005 Kolkata
reg WB "Rina Ghosh" 9431700006 Howrah

start_node N "$N" "${PORT[N]}"
for st in BR JH WB; do
    start_node "$st" "${DIR[$st]}" "${PORT[$st]}" --peer "tcp://127.0.0.1:${PORT[N]}"
done

ALL=("$N" "${DIR[BR]}" "${DIR[JH]}" "${DIR[WB]}")
entries_everywhere() {
    local want d
    want=$(log_lines "$N")
    [[ $want -ge 9 ]] || return 1 # 3 roster entries and 6 joins
    for d in "${ALL[@]}"; do
        [[ $(log_lines "$d") -eq $want && $(total "$d") -eq 6 ]] || return 1
    done
}
check "every node holds every entry and counts all 6 members" wait_until 60 entries_everywhere
note "synced in ${WAITED_MS} ms"

# has_phone DATA PHONE — the phone's digits appear in the live LMDB file.
has_phone() { grep -q "$2" "$1/data.mdb"; }

for st in BR JH WB; do
    for other in BR JH WB; do
        for ph in ${PHONES[$other]}; do
            if [[ $other == "$st" ]]; then
                check "$st's store holds its own member's phone $ph" has_phone "${DIR[$st]}" "$ph"
            else
                check "$st's store holds no $other phone ($ph)" bash -c "! grep -q $ph '${DIR[$st]}/data.mdb'"
            fi
        done
    done
done
for ph in ${PHONES[BR]} ${PHONES[JH]} ${PHONES[WB]}; do
    check "the national store holds $ph" has_phone "$N" "$ph"
done
verify_all "${ALL[@]}"

# --- the lists on a chapter default to its own state; counts are national -----
read -r B1 B2 <<<"${NUMS[BR]}"
read -r J1 _ <<<"${NUMS[JH]}"
sd "${DIR[BR]}" list
check "BR's list shows its own members" bash -c "grep -q $B1 '$T/out' && grep -q $B2 '$T/out'"
check "... and no JH member" bash -c "! grep -q '^JH-\\| JH-' '$T/out' && ! grep -q $J1 '$T/out'"
sd "${DIR[BR]}" --json list --all-states
check "BR's list --all-states shows JH's members" grep -q "$J1" "$T/out"
check "... without their names or phones" bash -c "! grep -q 'Sarita' '$T/out' && ! grep -q 9431700003 '$T/out'"
sd "${DIR[BR]}" --json list --state JH
check "BR's list --state JH shows JH's members" grep -q "$J1" "$T/out"
sd "${DIR[BR]}" --json search --name Rekha
check "BR finds its own member by name" grep -q "$B2" "$T/out"
sd "$N" --json search --phone 9431700003
check "the national office finds a JH member by phone" grep -q "$J1" "$T/out"
sd "$N" --json list
check "the national office lists every state by default" \
    bash -c "grep -q $B1 '$T/out' && grep -q $J1 '$T/out' && grep -q '\"WB-' '$T/out'"
sd "${DIR[WB]}" --json stats
check "WB's stats count the whole federation" grep -q '"total":6' "$T/out"

# --- bundles, reports and the auditor ---------------------------------------------
sd "$N" bundle create "$T/nat.bundle"
check "the national office's bundle needs --for" bash -c "[[ $RC -ne 0 ]] && grep -q -- '--for' '$T/err'"
sd "$N" bundle create "$T/wb.bundle" --for WB
check "a bundle for WB carries WB's 2 members' personal data only" grep -q "(2 with personal data)" "$T/out"
check "... and no other state's phone" bash -c "! grep -q 9431700001 '$T/wb.bundle' && grep -q 9431700005 '$T/wb.bundle'"
sd "${DIR[JH]}" bundle create "$T/jh.bundle"
check "a chapter's bundle carries its own state's personal data" grep -q "(2 with personal data)" "$T/out"
run "$S" --json audit --bundle "$T/wb.bundle" --trust "$NK"
check "audit of the WB bundle (no data directory): ok, 6 members" \
    bash -c "[[ $RC -eq 0 ]] && grep -q '\"ok\":true' '$T/out' && grep -q '\"total\":6' '$T/out'"
sd "${DIR[WB]}" --json audit
check "audit --json on WB: ok" bash -c "[[ $RC -eq 0 ]] && grep -q '\"ok\":true' '$T/out'"
sd "${DIR[WB]}" --json report
check "report --json on WB counts the whole federation" grep -q '"total":{"members":6' "$T/out"

# --- an erasure reaches every holder --------------------------------------------
EPH=9431700001
sd "${DIR[BR]}" erase "$B1" --reason "her letter"
check "BR erases its member $B1" test "$RC" -eq 0
erased_on() { "$S" --data "$1" --json show "$B1" 2>/dev/null | grep -q '"phone":null'; }
check "the erasure reaches the national office" wait_until 30 erased_on "$N"
check "... and BR itself" erased_on "${DIR[BR]}"
for d in "$N" "${DIR[BR]}"; do
    n=$(basename "$d")
    sd "$d" --json search --phone "$EPH" --all-states
    check "$n: her phone no longer finds her" test ! -s "$T/out"
    rm -rf "$T/backup-$n"
    sd "$d" backup "$T/backup-$n"
    check "$n: backup (a compacted copy)" test "$RC" -eq 0
    check "$n: the compacted store holds no trace of her phone" \
        bash -c "! grep -q $EPH '$T/backup-$n/data.mdb'"
    check "$n: ... while another BR member's phone is there" \
        grep -q 9431700002 "$T/backup-$n/data.mdb"
done
verify_all "${ALL[@]}"

stop_all_nodes
finish
