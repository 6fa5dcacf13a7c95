#!/usr/bin/env bash
# test_card_face.sh — what a card prints beyond the member (cli/README.md
# "Cards", README.md "ID cards"): the organisation's name as the national
# office sets it (`rules --org-name`), and the national node's name with a
# warning until then; the labels in the state's language (Tamil for TN,
# Bengali for WB, Hindi for BR and for states without their own), and a
# card of each that card-verify reads back. (Names never cut, and which
# language each state gets: tests/unit/test_card_face.c.)
#
#   tests/cli/test_card_face.sh SADASYA_BINARY BUILD_DIR   (KEEP=1 keeps the dir)
#
# Cards are compared as pictures with PIL (Debian's python3-pil): the
# header band, where the organisation's name goes, changes when the name
# does, and nothing else of the card does.
#
# Prints each failure, then "test_card_face: N passed, M failed"; exits 1 if M>0.
# shellcheck disable=SC2016,SC2317  # (expressions for eval; helpers called through check)

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init card_face "SADASYA_BINARY BUILD_DIR" "$@"
# shellcheck source=tests/cli/card_lib.sh
. "$(dirname "$0")/card_lib.sh"
cd "$T"

# differs A B Y0 Y1 — PNG cards A and B differ between rows Y0 and Y1.
differs() {
    "$PY" - "$@" <<'EOF'
import sys
from PIL import Image, ImageChops
a, b = (Image.open(p).convert("RGB") for p in sys.argv[1:3])
y0, y1 = int(sys.argv[3]), int(sys.argv[4])
box = (0, y0, a.width, y1)
sys.exit(0 if ImageChops.difference(a.crop(box), b.crop(box)).getbbox() else 1)
EOF
}
HEADER_END=150   # node/card_render.c HEADER_H: the band with the organisation

# --- a national node named at init, a chapter --------------------------------
sd nat init --national --name "Delhi Office Laptop"
NK=$(tail -n1 out)
sd br init --state BR --name "बिहार" --trust "$NK"
BK=$(tail -n1 out)
sd nat roster add --state BR --name "बिहार" --key "$BK"
sd br register --name "रागिनी रंजन" --name-en "Ragini Ranjan" --gender female \
    --phone 9431000002 --district Patna
N1=$(cat out)
sd br register --name "सुनीता देवी" --gender female --phone 9431000017 --district Gaya
carry nat br
carry br nat

# --- until the national office names the organisation --------------------------
sd nat rules
check "rules: the organisation's name is not set" eval 'ok && out_has "organisation name: not set"'
sd nat --json rules
check "rules --json: org_name is null" pyt 'd["org_name"] is None'
sd br --json card "$N1" --out before.png
check "card before the name is set: the national node's name, org_set false" \
    pyt 'd["org"] == "Delhi Office Laptop" and not d["org_set"]'
check "... and one warning saying so, naming what it uses" \
    eval 'ok && [[ $(grep -c "" err) -eq 1 ]] && err_has "organisation name not set by the national office: using" && err_has "Delhi Office Laptop"'
sd br cards --out before/
check "cards warns once, not once per card" \
    eval 'ok && [[ $(grep -c "organisation name not set" err) -eq 1 ]] && [[ $(ls before | wc -l) -eq 2 ]]'

# --- set on the national node, carried to the chapter ---------------------------
sd br rules --org-name "Sadasya Sangh"
check "rules --org-name on a chapter: refused" eval 'rc_is 1 && one_error && err_has "only the national office"'
sd nat rules --org-name ""
check "rules --org-name empty: refused" eval 'rc_is 1 && one_error && err_has "empty"'
sd nat rules --org-name $'Sangh\x1b[31m'
check "rules --org-name with an escape: refused" eval 'rc_is 1 && one_error'
ORG="भारतीय सदस्यता संघ · Bharatiya Sadasyata Sangh"
sd nat rules --org-name "$ORG"
check "rules --org-name on the national node: set" eval 'ok && out_has "organisation name: $ORG (set)"'
sd nat --json rules
check "rules --json gives it, the other rule unchanged" \
    pyt 'd["org_name"] == "'"$ORG"'" and d["inactive_after_days"] == 180'
sd br --json card "$N1" --out still.png
check "the chapter prints the old name until the entry reaches it" \
    pyt 'd["org"] == "Delhi Office Laptop" and not d["org_set"]'
carry nat br
sd br --json rules
check "the chapter holds the name once the entry arrives" pyt 'd["org_name"] == "'"$ORG"'"'
sd br --json card "$N1" --out after.png
check "card after: the organisation's name, org_set true, no warning" \
    eval 'ok && pyt '"'"'d["org"] == "'"$ORG"'" and d["org_set"]'"'"' && [[ ! -s err ]]'
check "the header band of the card changed" differs before.png after.png 0 "$HEADER_END"
check "the rest of the card did not" eval '! differs before.png after.png "$HEADER_END" 638'
sd br cards --out after/
check "cards: no warning once set" eval 'ok && [[ ! -s err ]]'
sd nat --json card "$N1" --out nat.png
check "the national node prints the set name too" pyt 'd["org"] == "'"$ORG"'" and d["org_set"]'
sd nat rules --inactive-after 90
check "setting another rule keeps the name" eval 'ok && out_has "organisation name: $ORG"'
sd nat verify
check "verify: the rules entries are sound" ok

# --- labels in the state's language ------------------------------------------
check "a BR card has Hindi labels" eval 'sd br --json card "$N1" --out br.png && pyt '"'"'d["labels"] == "hi"'"'"''
i=0
for st in "TN தமிழ்நாடு ta" "WB পশ্চিমবঙ্গ bn" "DN Dadra_and_Nagar_Haveli_and_Daman_and_Diu hi"; do
    read -r code cname lang <<<"$st"
    i=$((i + 1))
    cname=${cname//_/ }
    dir=${code,,}
    sd "$dir" init --state "$code" --name "$cname" --trust "$NK"
    key=$(tail -n1 out)
    sd nat roster add --state "$code" --name "$cname" --key "$key"
    carry nat "$dir"
    sd "$dir" register --name "प्रिया" --name-en "Priya" --gender female --phone "943100010$i" --district X
    n=$(cat out)
    sd "$dir" --json card "$n" --out "$dir.png"
    check "$code card: labels in '$lang', the organisation's name" \
        pyt 'd["labels"] == "'"$lang"'" and d["org"] == "'"$ORG"'"'
    carry "$dir" nat
    sd nat card-verify "$dir.png"
    check "$code card: card-verify reads it back" eval 'ok && [[ $(head -n1 out) == "$n" ]]'
done

finish
