#!/usr/bin/env bash
# test_card.sh — membership cards through the CLI (cli/README.md "Cards",
# proto/README.md): `card`, `cards` and `card-verify` on a national node, a
# chapter in its roster (BR) and one that is not (JH), with bundles to
# carry entries between them.
#
#   tests/cli/test_card.sh SADASYA_BINARY BUILD_DIR     (KEEP=1 keeps the dir)
#
# What a user would check: the card is a 1011x638 PNG (CR80 at 300 dpi) or
# an SVG; a reader we did not write (zbarimg, Debian's zbar-tools) gets a
# payload that card-verify accepts on the chapter and on the national node;
# the member's later status is shown; a payload with one character or one
# byte changed, a card signed by a key outside the roster, and a card of a
# revoked chapter are refused with the reason. And the shaping: the
# Devanagari name on the card matches pango-view's rendering of the same
# text in the same font, and differs clearly from the same characters laid
# out without shaping.
#
# Prints each failure, then "test_card: N passed, M failed"; exits 1 if M>0.
# shellcheck disable=SC2016,SC2317  # (SC2317: helpers are called through check)

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init card "SADASYA_BINARY BUILD_DIR" "$@"    # python3 here: Debian's, with python3-pil
HERE=$(cd "$(dirname "$0")" && pwd)
cli_copy "$BUILD/card_name" card_name
CARD_NAME=$T/card_name
cd "$T"

sd() { run "$S" --data "$@"; }
first_line_is() { [[ $(head -n1 "$T/out") == "$1" ]]; }
one_error() { # one "sadasya: error:" line on stderr
    [[ $(grep -c '' "$T/err") -eq 1 ]] && [[ $(head -c 16 "$T/err") == "sadasya: error: " ]]
}
# py EXPR — a Python expression over `d`, the JSON object on stdout.
pyt() {
    [[ $("$PY" -c 'import json,sys; d=json.load(open(sys.argv[2])); print(bool(eval(sys.argv[1])))' \
        "$1" "$T/out") == True ]]
}
# zbar — what Debian's zbarimg reads from a PNG (its D-Bus chatter dropped).
zbar() { zbarimg --quiet --raw "$1" 2>/dev/null | head -n1; }
png_size() { # WIDTHxHEIGHT from the IHDR chunk
    "$PY" -c 'import struct,sys; b=open(sys.argv[1],"rb").read(24)
assert b[:8] == b"\x89PNG\r\n\x1a\n" and b[12:16] == b"IHDR"
print("%dx%d" % struct.unpack(">II", b[16:24]))' "$1"
}

for tool in zbarimg pango-view; do
    command -v "$tool" >/dev/null || { echo "test_card: $tool is missing (deploy/install-deps.sh)"; exit 1; }
done

# --- a federation: national, BR in the roster, JH not -------------------------
sd nat init --national --name "राष्ट्रीय सदस्यता संघ"
NK=$(tail -n1 out)
sd br init --state BR --name "बिहार" --trust "$NK"
BK=$(tail -n1 out)
sd jh init --state JH --name "झारखंड" --trust "$NK"
sd nat roster add --state BR --name "बिहार" --key "$BK"
check "roster add BR" ok

sd br register --name "रागिनी रंजन" --name-en "Ragini Ranjan" --gender female \
    --phone 9431000002 --district Patna
N1=$(cat out)
sd br register --name "दीपक कुमार वर्मा" --name-en "Deepak Kumar Verma" --gender male \
    --phone 9431000003 --district Gaya
N2=$(cat out)
sd br register --name "क्षत्रिय" --gender male --phone 9431000004 --district Nalanda
N3=$(cat out)
sd jh register --name "बिरसा मुंडा" --name-en "Birsa Munda" --gender male \
    --phone 9431000005 --district Ranchi
NJ=$(cat out)
check "members registered ($N1 $N2 $N3 $NJ)" \
    eval '[[ $N1 == BR-* && $N2 == BR-* && $N3 == BR-* && $NJ == JH-* ]]'

carry() { # carry FROM TO — FROM's entries to TO by bundle file
    "$S" --data "$1" bundle create "$T/$1-to-$2.bundle" $([[ $1 == nat ]] && echo --for IN) >/dev/null
    "$S" --data "$2" bundle apply "$T/$1-to-$2.bundle" >/dev/null
}
carry br nat
carry nat br

# --- help --------------------------------------------------------------------
for c in card cards card-verify; do
    run "$S" "$c" --help
    check "$c --help: usage on stdout, exit 0" eval 'ok && grep -qi usage out && [[ ! -s err ]]'
done
run "$S" --help
check "sadasya --help lists card, cards, card-verify" \
    eval 'out_has "  card " && out_has "  cards " && out_has "card-verify"'

# --- card: PNG and SVG -------------------------------------------------------
sd br --json card "$N1" --out c1.png
check "card N1 --out c1.png exits 0" ok
P1=$("$PY" -c 'import json; print(json.load(open("out"))["payload"])')
check "card --json names the file and gives the payload" \
    pyt 'd["number"] == "'"$N1"'" and d["file"] == "c1.png" and d["payload"].startswith("SDY1:")'
check "payload is short enough for a small QR code (<= 213 chars)" eval '(( ${#P1} <= 213 ))'
check "c1.png is a PNG of 1011x638 (CR80 at 300 dpi)" [ "$(png_size c1.png)" = 1011x638 ]
check "c1.png is private (0600: it carries a member's name)" [ "$(stat -c %a c1.png)" = 600 ]
sd br card "$N1" --out c1.svg
check "card N1 --out c1.svg exits 0, says what it wrote" eval 'ok && out_has c1.svg'
check "c1.svg is SVG at the card's physical size (242.6 x 153.1 pt)" \
    eval 'grep -q "<svg" c1.svg && grep -q "width=\"242.6[0-9]*pt\"" c1.svg && grep -q "height=\"153.1[0-9]*pt\"" c1.svg'
check "no temporary file left" eval '[[ -z $(ls | grep tmp-) ]]'

sd br card "$N1" --out c1.jpg
check "card --out .jpg: usage error (exit 2), no file" eval 'rc_is 2 && one_error && [[ ! -e c1.jpg ]]'
sd br card "$N1"
check "card without --out: usage error" eval 'rc_is 2 && one_error'
sd br card BR-0000099-0 --out x.png
check "card of a number with a wrong check digit: one-line error" eval 'rc_is 1 && one_error'
sd br card BR-0000099-8 --out x.png
check "card of an unknown member: one-line error, no file" \
    eval 'rc_is 1 && one_error && err_has "no member" && [[ ! -e x.png ]]'
sd br card "$NJ" --out x.png
check "a chapter refuses another state's card, naming who issues it" \
    eval 'rc_is 1 && one_error && err_has "JH"'

# --- reading the card with a reader we did not write --------------------------
Z1=$(zbar c1.png)
check "zbarimg reads the card's QR code: the same payload" [ "$Z1" = "$P1" ]
sd br card-verify --payload "$Z1"
check "card-verify accepts zbarimg's payload on BR: first line is the number" \
    eval 'ok && first_line_is "$N1"'
sd nat card-verify --payload "$Z1"
check "... and on the national node" eval 'ok && first_line_is "$N1" && out_has "रागिनी रंजन"'
sd nat card-verify c1.png
check "card-verify FILE.png on the national node (its own QR reader)" \
    eval 'ok && first_line_is "$N1" && out_has active'
sd nat --json card-verify c1.png
check "card-verify --json: genuine, the member, the signer" \
    pyt 'd["genuine"] and d["number"] == "'"$N1"'" and d["signer"] == "chapter" and d["member"]["status"] == "active" and d["member"]["name"] == "रागिनी रंजन" and d["name_matches"]'
sd nat card-verify c1.png --name "रागिनी रंजन"
check "--name with the card's name: accepted" ok
sd nat card-verify c1.png --name "रागिनी रजन"
check "--name with another name: refused" eval 'rc_is 1 && one_error && err_has "not the name"'
sd nat card-verify
check "card-verify with neither FILE nor --payload: usage error" eval 'rc_is 2 && one_error'
sd nat card-verify c1.svg
check "card-verify of an SVG: not a PNG, one-line error" eval 'rc_is 1 && one_error && err_has "not a PNG"'
sd nat card-verify missing.png
check "card-verify of a missing file: one-line error" eval 'rc_is 1 && one_error'

# Without our code: PyNaCl checks the signature over the claim as README
# says, and the claim names the member, BR's key and the name's hash.
cat >"$T/independent.py" <<'EOF'
import base64, hashlib, sys
import nacl.signing
payload, key_hex, number, name = sys.argv[1:5]
assert payload.startswith("SDY1:")
raw = base64.urlsafe_b64decode(payload[5:] + "=" * (-len(payload[5:]) % 4))
def fields(b):
    """Protobuf fields of a message: {number: value} (varints and bytes)."""
    out, i = {}, 0
    def varint():
        nonlocal i
        v, s = 0, 0
        while True:
            c = b[i]
            i += 1
            v |= (c & 0x7F) << s
            s += 7
            if c < 0x80:
                return v
    while i < len(b):
        tag = varint()
        if tag & 7 == 0:
            out[tag >> 3] = varint()
        elif tag & 7 == 2:
            n = varint()
            out[tag >> 3] = b[i:i + n]
            i += n
        else:
            raise ValueError("wire type %d" % (tag & 7))
    return out
cred = fields(raw)
claim, sig = cred[1], cred[2]
c = fields(claim)
assert c[5].hex() == key_hex, "signer is not BR's key"
nacl.signing.VerifyKey(c[5]).verify(b"SADASYA-CARD-V1" + claim, sig)
assert c[1].decode() == number and c[2] == b"BR"
assert c[3] == hashlib.blake2b(name.encode(), digest_size=16).digest()
print("ok")
EOF
run "$PY" "$T/independent.py" "$Z1" "$BK" "$N1" "रागिनी रंजन"
check "PyNaCl verifies the card's signature; the claim holds number, key, name hash" \
    eval 'ok && [[ $(cat out) == ok ]]'

# The national office may issue a card for any state; it holds everywhere.
sd nat card "$N2" --out n2.png
check "national issues a BR member's card" ok
sd br card-verify n2.png
check "BR accepts the national office's card" eval 'ok && first_line_is "$N2" && out_has "national office"'

# --- status: shown, not hidden ----------------------------------------------------
sd br status "$N1" inactive --reason "no contact since June"
sd br card-verify c1.png
check "after status inactive: card still genuine, status shown with reason" \
    eval 'ok && first_line_is "$N1" && grep -q "^status *inactive (no contact since June)" out'
carry br nat
sd nat --json card-verify --payload "$P1"
check "... and on the national node once the bundle arrives" \
    pyt 'd["genuine"] and d["member"]["status"] == "inactive"'
sd br status "$N2" resigned
carry br nat
sd nat card-verify n2.png
check "a resigned member's card: genuine, status resigned" eval 'ok && grep -q "^status *resigned" out'

# --- tampering ---------------------------------------------------------------------
flip_char() { # the payload with the character at $2 replaced
    "$PY" -c 'import sys; p, i = sys.argv[1], int(sys.argv[2])
a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
print(p[:i] + a[(a.index(p[i]) + 1) % 64] + p[i + 1:])' "$1" "$2"
}
flip_byte() { # the payload with one byte of the credential changed
    "$PY" -c 'import base64, sys; p, i = sys.argv[1], int(sys.argv[2])
b = bytearray(base64.urlsafe_b64decode(p[5:] + "=" * (-len(p[5:]) % 4)))
b[i] ^= 0x20
print("SDY1:" + base64.urlsafe_b64encode(bytes(b)).decode().rstrip("="))' "$1" "$2"
}
for i in 5 12 40 90 150 $((${#P1} - 1)); do
    sd nat card-verify --payload "$(flip_char "$P1" "$i")"
    check "payload with character $i changed: refused, exit 1" \
        eval 'rc_is 1 && one_error && err_has "genuine"'
done
for i in 2 20 60 100 140; do
    sd nat card-verify --payload "$(flip_byte "$P1" "$i")"
    check "payload with byte $i of the credential changed: refused" \
        eval 'rc_is 1 && one_error && err_has "genuine"'
done
sd nat --json card-verify --payload "$(flip_byte "$P1" 100)"
check "refused with --json: genuine false and the reason" \
    pyt 'd["genuine"] is False and "signature" in d["reason"]'
sd nat card-verify --payload "hello"
check "a payload that is no card: refused" eval 'rc_is 1 && one_error && err_has "not a sadasya card"'

# A card made by a chapter that is not in the roster (JH): it warns, and the
# national node refuses it.
sd jh --json card "$NJ" --out j1.png
check "JH (not in the roster) may print its card, with a warning" \
    eval 'ok && grep -q "warning" err'
sd nat card-verify j1.png
check "a card signed by a key outside the roster: refused, unknown key" \
    eval 'rc_is 1 && one_error && err_has "unknown key"'

# --- cards: many at once -------------------------------------------------------------
sd br cards --out all
check "cards (active members): exit 0, summary with a rate" \
    eval 'ok && out_has "rendered 1 cards of BR" && out_has "cards/s" && out_has "skipped 2"'
check "cards wrote NUMBER.png for the active member only" \
    eval '[[ -e all/$N3.png && ! -e all/$N1.png && $(ls all | wc -l) -eq 1 ]]'
sd br --json cards --out all --all --jobs 2 --progress
check "cards --all --jobs 2 --progress: every member, progress on stderr" \
    pyt 'd["cards"] == 3 and d["state"] == "BR" and d["jobs"] == 2'
check "cards --progress wrote progress to stderr" grep -q "drawn" err
check "cards --all: each card is 1011x638 and reads back" \
    eval '[[ $(png_size all/$N1.png) == 1011x638 && $(zbar all/$N2.png) == SDY1:* ]]'
sd br cards --out svgs --format svg --all
check "cards --format svg" eval 'ok && [[ -s svgs/$N3.svg ]]'
sd nat cards --out x
check "cards on the national node without --state: usage error" eval 'rc_is 2 && one_error'
sd nat cards --state BR --out natcards --all
check "cards --state BR on the national node" eval 'ok && [[ $(ls natcards | wc -l) -eq 3 ]]'
sd br cards --state JH --out x
check "cards of another state on a chapter: refused" eval 'rc_is 1 && one_error'

# --- revocation ----------------------------------------------------------------------
sd nat roster revoke --state BR
sd nat card-verify c1.png
check "after roster revoke BR: BR's card refused on national, reason revoked" \
    eval 'rc_is 1 && one_error && err_has "revoked"'
sd nat card-verify n2.png
check "... the national office's card for a BR member still holds" ok
carry nat br
sd br card-verify --payload "$P1"
check "... and on BR once the roster reaches it" eval 'rc_is 1 && err_has "revoked"'
sd br card "$N3" --out late.png
check "a revoked chapter issues no more cards" eval 'rc_is 1 && one_error && err_has "revoked" && [[ ! -e late.png ]]'

# --- shaping: Devanagari as a reader expects it ---------------------------------------
FONT=$(sed -n 's/^#define CARD_NAME_FONT "\(.*\)"$/\1/p' "$HERE/../../node/card_render.h")
check "the card's name font is known ($FONT)" [ -n "$FONT" ]
cat >"$T/ink.py" <<'EOF'
# ink.py MODE A.png B.png — compares the ink of two renderings of one text.
#   same:    B is pango-view's rendering; A must match it pixel for pixel
#            within a tolerance (ink bounding boxes within 2 px, mean
#            difference of ink under 2%).
#   differs: A must differ clearly from B (box or ink).
#   card:    A is a card: its name (the first block of ink below the
#            header) must match B as in `same`, ink colours normalised.
import sys
from PIL import Image, ImageChops

mode, a_path, b_path = sys.argv[1:4]

def ink(img, bg, fg):
    """Grey image where 0 is paper and 255 is full ink."""
    g = img.convert("L")
    return g.point(lambda v: max(0, min(255, round((bg - v) * 255 / (bg - fg)))))

def box(img):
    return img.point(lambda v: 255 if v > 128 else 0).getbbox()

b = ink(Image.open(b_path), 255, 0)
a = Image.open(a_path)
if mode == "card":
    # Below the header (y >= 165), left of the QR code: the name comes first.
    a = ink(a.crop((0, 165, 580, 330)), 253, 26)
    rows = [y for y in range(a.height) if a.crop((0, y, a.width, y + 1)).getbbox()]
    top = rows[0]
    end = top
    while end + 1 < a.height and a.crop((0, end + 1, a.width, end + 2)).getbbox():
        end += 1
    a = a.crop((0, 0, a.width, end + 2))
else:
    a = ink(a, 255, 0)
ba, bb = box(a), box(b)
sa = (ba[2] - ba[0], ba[3] - ba[1])
sb = (bb[2] - bb[0], bb[3] - bb[1])
# Align the two by their ink boxes, then compare over the larger box.
w, h = max(sa[0], sb[0]) + 4, max(sa[1], sb[1]) + 4
ca = a.crop((ba[0] - 2, ba[1] - 2, ba[0] - 2 + w, ba[1] - 2 + h))
cb = b.crop((bb[0] - 2, bb[1] - 2, bb[0] - 2 + w, bb[1] - 2 + h))
diff = ImageChops.difference(ca, cb)
mean = sum(diff.getdata()) / (w * h * 255)
inked = sum(1 for v in cb.getdata() if v > 128) / (w * h)
rel = mean / max(inked, 1e-9)        # difference relative to the ink present
close = abs(sa[0] - sb[0]) <= 2 and abs(sa[1] - sb[1]) <= 2 and rel < 0.02
print("box %s vs %s, difference %.4f of the ink" % (sa, sb, rel))
if mode == "differs":
    sys.exit(0 if (abs(sa[0] - sb[0]) > 0.1 * sb[0] or rel > 0.25) else 1)
sys.exit(0 if close else 1)
EOF
shape_ref() { # shape_ref TEXT OUT.png — pango-view, the card's font and settings
    pango-view --font="$FONT" --dpi=300 --margin=0 --background=white --foreground=black \
        --hinting=none --hint-metrics=off --subpixel-positions -q -o "$2" --text="$1"
}
i=0
for name in "क्षत्रिय" "रागिनी रंजन" "दीपक कुमार वर्मा"; do
    i=$((i + 1))
    shape_ref "$name" "ref$i.png"
    "$CARD_NAME" "$name" "mine$i.png"
    "$CARD_NAME" --unshaped "$name" "flat$i.png"
    run "$PY" ink.py same "mine$i.png" "ref$i.png"
    check "'$name' set as the card sets it matches pango-view ($(cat out))" ok
    run "$PY" ink.py differs "flat$i.png" "ref$i.png"
    check "'$name' without shaping differs clearly ($(cat out))" ok
done
# On the card itself: N3's card has the name alone at full size.
sd nat card "$N3" --out n3.png
run "$PY" ink.py card n3.png ref1.png
check "the name on the card (क्षत्रिय) matches pango-view ($(cat out))" ok
run "$PY" ink.py card n3.png flat1.png
check "... and not the unshaped characters" eval '! ok'

finish
