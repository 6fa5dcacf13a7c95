#!/usr/bin/env bash
# test_readme_numbers.sh — every membership number the docs show has a
# right Verhoeff check digit (README.md, cli/README.md).
#
#   tests/cli/test_readme_numbers.sh SADASYA_BINARY BUILD_DIR   (KEEP=1 keeps the dir)
#
# A reader copies numbers out of the examples; a wrong check digit there
# teaches a wrong number. Each number written in the docs (BR-0000042-7,
# and the typed forms br00000427 or BR00000427) is given to `sadasya show`
# on an empty node: a number whose check digit is right parses and is then
# not found ("no member"); a wrong one is refused before any look-up. A
# Verhoeff written here in Python from the published tables must agree with
# the binary on every number, and every number with its check digit
# changed must be refused, so the check can tell right from wrong.
#
# Prints each failure, then "test_readme_numbers: N passed, M failed";
# exits 1 if M>0.
# shellcheck disable=SC2016  # (expressions for eval)

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init readme_numbers "SADASYA_BINARY BUILD_DIR" "$@"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DOCS=(README.md cli/README.md)

# verhoeff_ok NUMBER — the check digit is right, by the published tables.
verhoeff_ok() {
    "$PY" - "$1" <<'EOF'
import re, sys
d = [[0,1,2,3,4,5,6,7,8,9],[1,2,3,4,0,6,7,8,9,5],[2,3,4,0,1,7,8,9,5,6],
     [3,4,0,1,2,8,9,5,6,7],[4,0,1,2,3,9,5,6,7,8],[5,9,8,7,6,0,4,3,2,1],
     [6,5,9,8,7,1,0,4,3,2],[7,6,5,9,8,2,1,0,4,3],[8,7,6,5,9,3,2,1,0,4],
     [9,8,7,6,5,4,3,2,1,0]]
p = [[0,1,2,3,4,5,6,7,8,9],[1,5,7,6,2,8,3,0,9,4],[5,8,0,3,7,9,6,1,4,2],
     [8,9,1,6,0,4,3,5,2,7],[9,4,5,3,1,2,6,8,7,0],[4,2,8,6,5,7,3,9,0,1],
     [2,7,9,3,8,0,6,4,1,5],[7,0,4,6,9,1,3,2,5,8]]
digits = re.sub(r"[^0-9]", "", sys.argv[1])
c = 0
for i, ch in enumerate(reversed(digits)):
    c = d[c][p[i % 8][int(ch)]]
sys.exit(0 if c == 0 else 1)
EOF
}

# binary_ok NUMBER — `sadasya show` parses it (then finds no member).
binary_ok() {
    run "$S" --data "$T/node" show "$1"
    [[ $RC -eq 1 ]] && err_has "no member"
}

# another_digit NUMBER — the same number with its last digit changed.
another_digit() {
    local n=$1 last=${1: -1}
    echo "${n%?}$(((last + 1) % 10))"
}

"$S" --data "$T/node" init --national --name "Docs" >/dev/null

# Numbers as the docs write them: two letters, seven digits, a check digit,
# with or without the two hyphens, standing alone (not inside a hex key).
mapfile -t FOUND < <(cd "$ROOT" && grep -noP \
    '(?<![A-Za-z0-9_])[A-Za-z]{2}-?[0-9]{7}-?[0-9](?![A-Za-z0-9_])' "${DOCS[@]}")
check "the docs show membership numbers (${#FOUND[@]} found)" \
    eval '(( ${#FOUND[@]} >= 10 ))'

declare -A SEEN=()
for hit in "${FOUND[@]}"; do
    where=${hit%:*} n=${hit##*:}
    binary_ok "$n" && b=1 || b=0
    verhoeff_ok "$n" && v=1 || v=0
    check "$where: $n has a right check digit" [ "$b" -eq 1 ]
    check "$where: $n: the binary and the Verhoeff tables agree" [ "$b" -eq "$v" ]
    [[ -n ${SEEN[$n]:-} ]] && continue
    SEEN[$n]=1
    bad=$(another_digit "$n")
    binary_ok "$bad" && b=1 || b=0
    check "$bad (a digit of $n changed) is refused" [ "$b" -eq 0 ]
done

finish
