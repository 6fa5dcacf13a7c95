#!/usr/bin/env bash
# test_fence.sh — a data directory with a signing key exists once
# (node/README.md, issue 10 point 3). A plain copy (`cp -a`) of a chapter's
# directory that learns, from a bundle, that its own key signed elsewhere
# stops signing with one line naming the cause and the way out; without
# the fence it would hand out the same number to another person. A mirror
# (`backup --without-key`) can never sign; --override-fence is the
# operator's deliberate way past a fence.
#
#   tests/cli/test_fence.sh SADASYA_BINARY BUILD_DIR    (SADASYA_KEEP=1 keeps $T)

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
lib_init fence "$@"

NAT=$T/nat BR=$T/br COLD=$T/brcold MIR=$T/mirror
NK=$(init_national "$NAT" "Bharat Sangh")
BK=$(init_state "$BR" BR Bihar "$NK")
must "$S" --data "$NAT" roster add --state BR --name Bihar --key "$BK" >/dev/null
reg() { "$S" --data "$1" register --name "$2" --gender female --phone "$3" --district Patna; }
export S; export -f reg
must bash -c 'reg "$@"' _ "$BR" "अनीता देवी" 9431100001 >/dev/null
cp -a "$BR" "$COLD"
run bash -c 'reg "$@"' _ "$BR" "रमेश कुमार" 9431100002
N2=$(cat "$T/out")
check "the original registers its second member ($N2)" test "$RC" -eq 0
must "$S" --data "$BR" bundle create "$T/br.bundle" >/dev/null
must "$S" --data "$COLD" bundle apply "$T/br.bundle" >/dev/null
run bash -c 'reg "$@"' _ "$COLD" "सीता कुमारी" 9431100003
check "the copy, having seen its own key sign elsewhere, refuses to sign" \
    bash -c "[[ $RC -ne 0 && ! -s '$T/out' ]] && [[ \$(wc -l <'$T/err') -eq 1 ]] &&
             grep -q 'another copy of this data directory signs' '$T/err' &&
             grep -q 'override-fence' '$T/err'"
run "$S" --data "$COLD" --json show "$N2"
check "... and holds the original's member $N2 (nothing lost)" test "$RC" -eq 0
run "$S" --data "$COLD" --override-fence register --name "सीता कुमारी" --gender female \
    --phone 9431100003 --district Patna
check "--override-fence lets the operator sign deliberately (the next number, not $N2)" \
    bash -c "[[ $RC -eq 0 && \$(cat '$T/out') != '$N2' ]]"

# A mirror carries no key: it reads, verifies and takes bundles, never signs.
must "$S" --data "$NAT" bundle apply "$T/br.bundle" >/dev/null
run "$S" --data "$NAT" backup --without-key "$MIR"
check "backup --without-key makes a mirror" bash -c "[[ $RC -eq 0 && ! -e '$MIR/node.key' ]]"
run "$S" --data "$MIR" --override-fence roster add --state UP --name "Uttar Pradesh" --key "$BK"
check "the mirror cannot sign, even with --override-fence" bash -c "[[ $RC -ne 0 ]] && grep -q 'key' '$T/err'"
run "$S" --data "$MIR" verify
check "the mirror verifies" test "$RC" -eq 0
run "$S" --data "$MIR" --json stats
check "the mirror answers queries (2 members)" grep -q '"total":2' "$T/out"
finish
