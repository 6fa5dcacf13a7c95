#!/usr/bin/env bash
# test_bundle.sh — offline sync by file through the CLI (cli/README.md "bundle"):
# a national node and two states (BR, JH) exchange bundles until all three
# hold the same totals; applying again adds nothing; a damaged bundle is
# refused with exit 1 and changes nothing; entries of a key outside the
# roster are rejected (reported, exit 0); --state limits what is carried.
#
#   tests/cli/test_bundle.sh path/to/sadasya    (KEEP=1 keeps its directory)
set -euo pipefail

SADASYA=${1:?usage: test_bundle.sh path/to/sadasya}
SADASYA=$(cd "$(dirname "$SADASYA")" && pwd)/$(basename "$SADASYA")
T=$(mktemp -d "${TMPDIR:-/tmp}/test_bundle.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
cd "$T"

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then ok; else bad "$what"; fi
}

sd() { "$SADASYA" --data "$1" "${@:2}"; }
# A number field of a one-line JSON object.
field() { sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p"; }
total() { sd "$1" --json stats | field total; }

# --- a federation ----------------------------------------------------------
NK=$(sd nat init --national --name "Bharat" | tail -n 1)
BK=$(sd br init --state BR --name Bihar --trust "$NK" | tail -n 1)
JK=$(sd jh init --state JH --name Jharkhand --trust "$NK" | tail -n 1)
sd nat roster add --state BR --name Bihar --key "$BK" >/dev/null
sd nat roster add --state JH --name Jharkhand --key "$JK" >/dev/null

sd br register --name "सीता देवी" --gender female --phone 9876500001 --district Patna >/dev/null
sd br register --name "Ram Kumar" --gender male --phone 9876500002 --district Patna >/dev/null
sd br register --name "Gita" --gender female --phone 9876500003 --district Gaya >/dev/null
sd jh register --name "Anita" --gender female --phone 9876500004 --district Ranchi >/dev/null
sd jh register --name "Birsa" --gender male --phone 9876500005 --district Ranchi >/dev/null

# --- help ------------------------------------------------------------------
check "bundle --help" "$SADASYA" bundle --help >/dev/null
check "bundle create --help" "$SADASYA" bundle create --help >/dev/null
check "bundle apply --help" "$SADASYA" bundle apply --help >/dev/null
if "$SADASYA" bundle frobnicate >/dev/null 2>&1; then
    bad "unknown subcommand accepted"
else ok; fi

# --- states → national ---------------------------------------------------------
out=$(sd br bundle create br.bundle)
check "create prints its summary ($out)" \
    test "$out" = "wrote 3 entries (3 with personal data) from 1 origins to br.bundle"
check "bundle file is private" test "$(stat -c %a br.bundle)" = 600
check "no temporary file left" test "$(ls | grep -c 'br.bundle')" = 1
sd jh bundle create jh.bundle >/dev/null

j=$(sd nat --json bundle apply br.bundle)
check "BR bundle adds 3 at national ($j)" test "$(field added <<<"$j")" = 3
j=$(sd nat --json bundle apply jh.bundle)
check "JH bundle adds 2 at national ($j)" test "$(field added <<<"$j")" = 2
check "national total is 5" test "$(total nat)" = 5

# --- national → states -----------------------------------------------------------
sd nat bundle create nat.bundle --for IN >/dev/null
out=$(sd br bundle apply nat.bundle)
check "apply prints what was added ($out)" grep -q "added" <<<"$out"
sd jh bundle apply nat.bundle >/dev/null
check "BR total equals national" test "$(total br)" = "$(total nat)"
check "JH total equals national" test "$(total jh)" = "$(total nat)"
check "JH holds BR's member" bash -c "'$SADASYA' --data jh show BR-0000001-7 >/dev/null"

# --- twice changes nothing ---------------------------------------------------------
j=$(sd br --json bundle apply nat.bundle)
check "second apply adds nothing ($j)" test "$(field added <<<"$j")" = 0
check "second apply: all duplicates ($j)" \
    test "$(field duplicate <<<"$j")" = "$(field entries <<<"$j")"
check "second apply: nothing rejected" test "$(field rejected <<<"$j")" = 0
check "json has evidence and personal_dropped" \
    grep -q '"evidence":0.*"personal_dropped":0' <<<"$j"

# --- damaged bundles ------------------------------------------------------------------
size=$(stat -c %s nat.bundle)
before=$(sd br --json stats)
head -c $((size / 2)) nat.bundle >cut.bundle
if sd br bundle apply cut.bundle >out.txt 2>err.txt; then
    bad "truncated bundle accepted"
else
    check "truncated bundle exits 1" test $? -eq 1
    check "truncated bundle: one clear error" grep -q "^sadasya: error: cut.bundle: truncated" err.txt
fi
head -c $((size - 1)) nat.bundle >cut.bundle
if sd br bundle apply cut.bundle >/dev/null 2>&1; then
    bad "bundle without its last byte accepted"
else ok; fi
# One byte changed in the middle: the digest (or the framing) catches it.
cp nat.bundle flip.bundle
byte=$(od -An -tu1 -j $((size / 2)) -N1 nat.bundle | tr -d ' ')
printf "\\$(printf %03o $((byte ^ 0x20)))" |
    dd of=flip.bundle bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
check "one byte differs" bash -c "! cmp -s nat.bundle flip.bundle"
if sd br bundle apply flip.bundle >/dev/null 2>err.txt; then
    bad "altered bundle accepted"
else
    check "altered bundle: error names the damage" grep -q "^sadasya: error: flip.bundle: " err.txt
fi
check "damaged bundles changed nothing" test "$(sd br --json stats)" = "$before"
if sd br bundle apply no-such.bundle >/dev/null 2>&1; then
    bad "missing file accepted"
else ok; fi
check "bundle check on a whole file" bash -c "'$SADASYA' bundle check nat.bundle >/dev/null"
if "$SADASYA" bundle check cut.bundle >/dev/null 2>&1; then
    bad "bundle check passed a truncated file"
else ok; fi

# --- a key outside the roster ------------------------------------------------------------
UK=$(sd up init --state UP --name "Uttar Pradesh" --trust "$NK" | tail -n 1)
sd up register --name "Kamla" --gender female --phone 9876500006 --district Lucknow >/dev/null
sd up bundle create up.bundle >/dev/null
if sd nat --json bundle apply up.bundle >out.txt 2>err.txt; then
    ok
    check "unlisted key: 1 rejected" test "$(field rejected <out.txt)" = 1
    check "unlisted key: nothing added" test "$(field added <out.txt)" = 0
    check "rejection reported on stderr" \
        grep -q "^sadasya: warning: rejected key [0-9a-f]* seq 1: key not in the roster" err.txt
else
    bad "bundle with rejected entries must exit 0"
fi
check "national total unchanged" test "$(total nat)" = 5

# Once UP is in the roster, the same bundle is accepted.
sd nat roster add --state UP --name "Uttar Pradesh" --key "$UK" >/dev/null
j=$(sd nat --json bundle apply up.bundle)
check "after roster add, UP's entry is added ($j)" test "$(field added <<<"$j")" = 1

# --- --state ------------------------------------------------------------------------------
MK=$(sd mp init --state MP --name "Madhya Pradesh" --trust "$NK" | tail -n 1)
: "$MK"
out=$(sd nat bundle create jh-only.bundle --for IN --state JH)
check "--state JH carries national + JH ($out)" grep -q "from 2 origins" <<<"$out"
sd mp bundle apply jh-only.bundle >/dev/null
check "MP got JH's 2 members only" test "$(total mp)" = 2
if sd nat bundle create none.bundle --for IN --state XY >/dev/null 2>err.txt; then
    bad "--state of a state not held accepted"
else
    check "--state XY: clear error" grep -q "no entries of state XY" err.txt
    check "--state XY: no file" test ! -e none.bundle
fi

# --- --for: a member's personal data only for the national office and the
# member's own chapter; the entries for everyone -----------------------------
if sd nat bundle create nofor.bundle >/dev/null 2>err.txt; then
    bad "a national bundle without --for accepted"
else
    check "national bundle without --for: error naming --for" grep -q -- "needs --for" err.txt
    check "national bundle without --for: no file" test ! -e nofor.bundle
fi
n_of() { sed -n 's/^wrote \([0-9]*\) entries.*/\1/p'; }
p_of() { sed -n 's/.*(\([0-9]*\) with personal data).*/\1/p'; }
all=$(sd nat bundle create for-in.bundle --for IN)
jh=$(sd nat bundle create for-jh.bundle --for JH)
check "--for IN carries every member's personal data ($all)" test "$(p_of <<<"$all")" = "$(total nat)"
check "--for JH carries JH's members' only ($jh)" test "$(p_of <<<"$jh")" = 2
check "--for JH carries every entry" test "$(n_of <<<"$jh")" = "$(n_of <<<"$all")"
# BR holds every blob (it applied the national office's --for IN bundle).
own=$(sd br bundle create br-own.bundle)
check "a chapter's bundle carries its own state's personal data by default ($own)" \
    test "$(p_of <<<"$own")" = 3
wb=$(sd br bundle create br-wb.bundle --for WB)
check "--for WB from BR carries none ($wb)" test "$(p_of <<<"$wb")" = 0
sd mp bundle apply for-jh.bundle >/dev/null
check "a bundle for JH shows JH names at MP" eval 'sd mp list --all-states | grep -q Anita'
check "a bundle for JH shows no BR names at MP" eval '! sd mp list --all-states | grep -q "Ram Kumar"'
if sd nat bundle create bad.bundle --for Bihar >/dev/null 2>err.txt; then
    bad "--for Bihar accepted"
else
    check "--for Bihar: clear error" grep -q "not a state code" err.txt
fi

echo "test_bundle: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
