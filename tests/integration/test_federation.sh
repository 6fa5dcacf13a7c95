#!/usr/bin/env bash
# test_federation.sh — a twelve-node federation on loopback (the national
# node and eleven states, 200 members each imported offline, roster
# endpoints for all), run by tests/bench/federation.sh --check with the
# default linking (roster) and a star, then split in two halves that each
# register 100 members per state apart, and healed. Passes when every run
# converges, every node ends with the same entries and a clean verify, and
# no more than 1.5 entries are served per entry needed (one source per
# origin: node/README.md, replication).
#
#   tests/integration/test_federation.sh SADASYA_BINARY BUILD_DIR
set -euo pipefail
build=${2:?usage: test_federation.sh SADASYA_BINARY BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp "${TMPDIR:-/tmp}/sadasya-it-federation.XXXXXX")
trap 'rm -f "$out"' EXIT
rc=0
BUILD=$build NO_BUILD=1 timeout 280 bash "$here/../bench/federation.sh" --nodes 12 \
    --members 200 --modes roster,star --partition 100 --check >"$out" 2>&1 || rc=$?
grep -v '^==' "$out" | sed 's/^/    /'
pass=0 fail=0
check() { # check DESCRIPTION COMMAND...
    local desc=$1
    shift
    if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $desc"; fi
}
has() { grep -q "^$1" "$out"; }
ratio_ok() { awk -v k="$1" '$1 == k { found = 1; ok = ($2 <= 1.5) } END { exit !(found && ok) }' "$out"; }
check "federation.sh --check exits 0" test "$rc" -eq 0
check "roster: served/needed <= 1.5" ratio_ok roster_served_per_needed
check "star: served/needed <= 1.5" ratio_ok star_served_per_needed
check "after the healed partition: identical views, verify clean" \
    has "partition_identical_and_verified yes"
check "no failure reported" bash -c "! grep -q '^FAIL' '$out'"
echo "test_federation: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
