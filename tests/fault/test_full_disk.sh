#!/usr/bin/env bash
# shellcheck disable=SC2317  # helper functions are called through check/wait_until
# test_full_disk.sh — out of space (node/README.md: "a full disk is a clear
# error with nothing half-written").
#
#  1. BR's data directory lives on a small file system the test mounts (a
#     24 MB ext4 image on a loop device; tmpfs of that size where loop
#     devices are not available). A filler file takes every free block:
#     `register` and `import` on BR fail with one clear "disk full" error,
#     nothing half-written (count unchanged, `verify` clean); `init` of a
#     new data dir there fails clearly too. A store there without its
#     lock.mdb (a copied data directory): `register` and the node refuse
#     with one clear "disk full" line (LMDB, left to make the lock file,
#     would fault: SIGBUS), `stats` reads it without one; once space is
#     freed it opens as before.
#  2. Sync into the full node: JH registers while BR's disk is full; BR's
#     node logs the failure, keeps running, does not spin, and once the
#     filler is deleted catches up by itself. Register, import (resuming)
#     and init work again.
#  3. The LMDB map limit: with SADASYA_MAP_MAX_MB just above a store's
#     size, an import stops with a clear "map full" error (the batches
#     before it kept, verify clean), `register` fails clearly with the count
#     unchanged; with a larger limit the same import resumes and finishes.
#     A node run under the small limit logs the failure and keeps running;
#     restarted without it, it catches up.
#
#   tests/fault/test_full_disk.sh SADASYA_BINARY BUILD_DIR
# Needs root to mount; otherwise it says why and exits 77 (skipped).
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/fault/lib_fault.sh
. "$here/lib_fault.sh"
lib_init full_disk "$@"

MNT=$T/mnt
MOUNTED=0
echo $$ >"$T/owner.pid"

# Mounts of runs killed before their trap ran.
reap_stale_mounts() {
    local mp owner
    while read -r _ mp _; do
        [[ $mp =~ /sadasya-it-full_disk\.[A-Za-z0-9]+/mnt$ ]] || continue
        [[ $mp == "$MNT" ]] && continue
        owner=$(cat "${mp%/mnt}/owner.pid" 2>/dev/null)
        if [[ -n $owner ]] && kill -0 "$owner" 2>/dev/null; then continue; fi
        umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null
        note "unmounted a stale test file system at $mp"
    done </proc/mounts
}

fd_exit() {
    local rc=$? name
    trap - EXIT
    for name in "${!NODE_PID[@]}"; do node_kill "$name" TERM; done
    for name in "${!NODE_PID[@]}"; do
        node_reap "$name" 3 || { node_kill "$name" KILL; node_reap "$name" 2 || true; }
    done
    if [[ $MOUNTED == 1 ]]; then
        umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null ||
            echo "WARNING: could not unmount $MNT" >&8
    fi
    (exit "$rc")
    lib_cleanup
}

[[ $(id -u) -eq 0 ]] || skip "not root: mounting a small file system needs CAP_SYS_ADMIN"
mkdir -p "$MNT"
reap_stale_mounts
trap fd_exit EXIT
FS=""
if command -v mkfs.ext4 >/dev/null && truncate -s 24M "$T/disk.img" &&
    mkfs.ext4 -q -F -m 0 "$T/disk.img" >/dev/null 2>&1 &&
    mount -o loop "$T/disk.img" "$MNT" 2>"$T/mount.err"; then
    FS="ext4 on a loop device (24 MB)"
    MOUNTED=1
elif mount -t tmpfs -o size=24m,mode=0700 sadasya-fault "$MNT" 2>>"$T/mount.err"; then
    FS="tmpfs (24 MB)"
    MOUNTED=1
else
    skip "cannot mount a small file system: $(tail -n 1 "$T/mount.err")"
fi
note "BR's data directory is on $FS at $MNT"

free_kb() { df -Pk "$MNT" | awk 'NR == 2 { print $4 }'; }

# fill — a filler file takes every free block (bounded: the fs is 24 MB).
fill() {
    dd if=/dev/zero of="$MNT/filler" bs=1M count=64 2>/dev/null
    dd if=/dev/zero of="$MNT/filler2" bs=4k count=4096 2>/dev/null
    sync
}
unfill() { rm -f "$MNT/filler" "$MNT/filler2"; sync; }

N=$T/N
JH=$T/JH
BR=$MNT/BR
federation "$N" "$BR" "$JH"
start_federation "$N" "$BR" "$JH"
for i in 1 2 3; do reg_ack "$BR" Patna; reg_ack "$JH" Ranchi; done
gen_rows "$T/first.csv" 2000
sd "$BR" import "$T/first.csv"
check "BR imports 2000 members on the small file system" test "$RC" -eq 0
[[ $RC -eq 0 ]] && ack_import "$T/first.csv"
check "the three nodes converge" wait_converged 30 "$N" "$BR" "$JH"

# --- 1. the disk fills up -------------------------------------------------------
# clear_full FILE — the error names the full disk. LMDB reports a short
# write (the usual way a multi-page commit meets a full disk) as EIO, which
# the product passes on as "Input/output error": a known product issue.
said_disk_full() { grep -q "disk full" "$1"; }
said_io_error() { grep -q "Input/output error" "$1"; }

# try_write LABEL COMMAND... — a write on the full disk either succeeds
# (LMDB reuses free pages inside its file) or fails leaving the count as it
# was and the store verifying. Failures are counted in FAILED_WRITES; their
# messages are checked by the caller.
FAILED_WRITES=0
try_write() {
    local label=$1 before
    shift
    before=$(total "$BR")
    run "$@"
    if [[ $RC -eq 0 ]]; then
        note "$label fitted: $(head -n 1 "$T/out")"
        return 0
    fi
    FAILED_WRITES=$((FAILED_WRITES + 1))
    note "$label failed: $(head -n 1 "$T/err")"
    cp "$T/err" "$T/last-fail.err"
    check "$label: failed with an error line on stderr" grep -q '^sadasya: error: ' "$T/err"
    check "$label: wrote nothing (count still $before)" test "$(total "$BR")" -eq "$before"
    check "$label: the store verifies" verify_ok "$BR"
    return 1
}

# A store without its lock file (a copied data directory; lock.mdb deleted
# while nothing used it): LMDB makes one at the first open.
init_state "$MNT/NL" NL "No Lock" "$NK" >/dev/null
must "$S" --data "$MNT/NL" register --name "बिना ताला" --gender male --phone 9777700001 \
    --district Patna >/dev/null
rm -f "$MNT/NL/lock.mdb"

fill
note "filled: $(free_kb) KB free on $MNT"
# Register until the first failure (bounded).
ok_regs=0
for ((i = 0; i < 300; i++)); do
    try_write "register $i on the full disk" "$S" --data "$BR" register --name "भरा $i" \
        --gender female --phone "97000$(printf %05d "$i")" --district Full || break
    ok_regs=$((ok_regs + 1))
    echo "$(cat "$T/out") 97000$(printf %05d "$i")" >>"$T/acked"
done
check "register on the full disk fails within 300 tries ($ok_regs fitted)" test "$i" -lt 300
if said_disk_full "$T/last-fail.err"; then
    check "register: the error names the full disk" said_disk_full "$T/last-fail.err"
else
    check "register: the error names the full disk (said: $(head -c 120 "$T/last-fail.err"))" \
        said_disk_full "$T/last-fail.err"
fi
check "register: the error is one line" test "$(grep -c . "$T/last-fail.err")" -eq 1

gen_rows "$T/full.csv" 500
if try_write "import of 500 rows on the full disk" "$S" --data "$BR" import "$T/full.csv"; then
    ack_import "$T/full.csv"
    check "import on the full disk fails (it fitted)" false
else
    check "import: says that nothing was imported" grep -q "nothing was imported" "$T/last-fail.err"
    # The first line is the error; a second names what was kept (nothing).
    check "import: the error names the full disk (said: $(head -n 1 "$T/last-fail.err" | cut -c1-100))" \
        said_disk_full "$T/last-fail.err"
fi

rm -rf "$MNT/XX"
RC=0
timeout "$LIB_CMD_TIMEOUT" "$S" --data "$MNT/XX" init --state XX --name Extra --trust "$NK" \
    >"$T/out" 2>"$T/err" || RC=$?
note "init on the full disk: exit $RC; said: $(head -n 1 "$T/err")"
check "init of a new data dir on the full disk fails" test "$RC" -ne 0
check "init on the full disk fails with a clear error, not a crash (exit $RC: 135 is SIGBUS)" \
    bash -c '[[ $1 -eq 1 ]] && grep -q "^sadasya: error: .*disk full" "$2"' _ "$RC" "$T/err"
# The store without a lock file: LMDB would make the new lock.mdb sparse and
# write it through a mapping (SIGBUS with no free block); the store makes it
# itself, allocated, and refuses when there is no room.
nl_lock_absent() { [[ ! -e $MNT/NL/lock.mdb ]] && ! compgen -G "$MNT/NL/lock.mdb.*" >/dev/null; }
one_line_disk_full() {
    [[ $RC -eq 1 && $(grep -c . "$T/err") -eq 1 ]] && grep -q "^$1: error: .*disk full" "$T/err"
}
sd "$MNT/NL" --json stats
note "stats on a store without lock.mdb on the full disk: exit $RC; said: $(head -c 120 "$T/out")"
stats_says_one() { [[ $RC -eq 0 ]] && grep -q '"total":1[,}]' "$T/out"; }
check "stats on a store without lock.mdb on the full disk reads it (exit $RC: 135 is SIGBUS)" \
    stats_says_one
sd "$MNT/NL" register --name "बिना ताला दो" --gender male --phone 9777700002 --district Patna
note "register on it: exit $RC; said: $(head -n 1 "$T/err")"
check "register on a store without lock.mdb on the full disk: one clear \"disk full\" line (exit $RC: 135 is SIGBUS)" \
    one_line_disk_full sadasya
check "... naming the lock file" grep -q "cannot create the lock file" "$T/err"
check "... and leaves no lock file behind" nl_lock_absent
check "... and wrote nothing (count still 1)" test "$(total "$MNT/NL")" -eq 1
LIB_CMD_TIMEOUT=5 run "$SD" --data "$MNT/NL" --listen "tcp://127.0.0.1:$(free_port)"
note "sadasyad on it: exit $RC; said: $(head -n 1 "$T/err")"
check "sadasyad on a store without lock.mdb on the full disk: one clear \"disk full\" line (exit $RC: 135 is SIGBUS)" \
    one_line_disk_full sadasyad
check "... and leaves no lock file behind" nl_lock_absent

# --- 2. sync into the full node -------------------------------------------------
br_before=$(total "$BR")
for i in $(seq 1 30); do reg_ack "$JH" Ranchi; done
gen_rows "$T/jh.csv" 1000
sd "$JH" import "$T/jh.csv"
check "JH imports 1000 members meanwhile" test "$RC" -eq 0
[[ $RC -eq 0 ]] && ack_import "$T/jh.csv"
jh_goal=$(total "$JH")
n_has_all() { [[ $(total "$N") -eq $jh_goal ]]; }
check "the national receives JH's members" wait_until 20 n_has_all
br_full_log() { node_log_has BR 'applying a batch from .*(disk full|Input/output error|map full)'; }
check "BR's node logs that it cannot apply a batch" wait_until 15 br_full_log
note "BR's node: $(node_log_since_start BR | grep -Em1 'applying a batch' | cut -c1-220)"
if node_log_has BR 'applying a batch from .*disk full'; then
    check "BR's node names the full disk" true
else
    check "BR's node names the full disk" node_log_has BR 'applying a batch from .*disk full'
fi
sleep 2
check "BR's node keeps running on the full disk" node_alive BR
br_mid=$(total "$BR")
note "BR holds $((br_mid - br_before)) of JH's $((jh_goal - br_before)) new members (free pages in its file)"
check "BR's store verifies while full" verify_ok "$BR"
errs0=$(node_log_count BR 'applying a batch')
sleep 5
errs1=$(node_log_count BR 'applying a batch')
note "BR's node logged $((errs1 - errs0)) failed batches in 5 s ($errs0 before)"
check "BR's node backs off while the disk is full (<= 25 failed batches in 5 s, saw $((errs1 - errs0)))" \
    test $((errs1 - errs0)) -le 25
check "BR's node is still running" node_alive BR

unfill
note "filler deleted: $(free_kb) KB free"
br_caught_up() { [[ $(total "$BR") -eq $jh_goal ]]; }
check "after space is freed BR's node catches up by itself (within 60 s)" wait_until 60 br_caught_up
note "BR caught up ${WAITED_MS} ms after the filler was deleted"
reg_ack "$BR" Patna
check "register works again (${REG_NUM:-failed})" test -n "$REG_NUM"
sd "$BR" import "$T/full.csv"
check "the failed import runs again and finishes" test "$RC" -eq 0
[[ $RC -eq 0 ]] && ack_import "$T/full.csv"
sd "$MNT/XX" init --state XX --name Extra --trust "$NK"
check "init works again where it failed (exit $RC)" test "$RC" -eq 0
[[ $RC -ne 0 ]] && note "init said: $(head -n 2 "$T/err")"
sd "$MNT/NL" register --name "बिना ताला दो" --gender male --phone 9777700002 --district Patna
check "register on the store without lock.mdb works once space is freed (exit $RC)" test "$RC" -eq 0
check "... which made its lock file" test -s "$MNT/NL/lock.mdb"
check "... and it holds both members" test "$(total "$MNT/NL")" -eq 2
check "the three nodes converge" wait_converged 30 "$N" "$BR" "$JH"
check_acked "disk" "$N" "$BR" "$JH"
check_gapless "disk" "$N" "$BR" "$JH"
verify_all "$N" "$BR" "$JH"
# BR's small disk could not hold what follows: it sits out part 3.
stop_node BR >/dev/null

# --- 3. the LMDB map limit --------------------------------------------------------
UP=$T/UP
UK=$(init_state "$UP" UP "Uttar Pradesh" "$NK")
gen_rows "$T/up1.csv" 3000
sd "$UP" import "$T/up1.csv"
check "UP imports 3000 members (no limit)" test "$RC" -eq 0
[[ $RC -eq 0 ]] && ack_import "$T/up1.csv"
size_mb=$(( ($(stat -c %s "$UP/data.mdb") + 1048575) / 1048576 ))
limit=$((size_mb + 1))
note "UP's store is ${size_mb} MiB; limit SADASYA_MAP_MAX_MB=$limit"
up_before=$(total "$UP")
gen_rows "$T/up2.csv" 20000
run env SADASYA_MAP_MAX_MB=$limit "$S" --data "$UP" import "$T/up2.csv" --batch 1000
check "an import past the map limit fails (exit $RC)" test "$RC" -ne 0
note "import said: $(head -n 1 "$T/err")"
check "... with a clear error naming the map limit" grep -q "^sadasya: error: .*map full" "$T/err"
check "... and says how to go on (SADASYA_MAP_MAX_MB, run again)" \
    grep -q "SADASYA_MAP_MAX_MB" "$T/err"
mid1=$(total "$UP")
note "$((mid1 - up_before)) of 20000 rows went in before the limit"
check "... the batches before it are kept whole (a multiple of 1000)" \
    test $(( (mid1 - up_before) % 1000 )) -eq 0
check "UP's store verifies at the limit" verify_ok "$UP"
# Fill what is left of the map in small batches, then a register must fail.
gen_rows "$T/up3.csv" 3000
run env SADASYA_MAP_MAX_MB=$limit "$S" --data "$UP" import "$T/up3.csv" --batch 5
check "small batches fill the rest of the map (import fails, exit $RC)" test "$RC" -ne 0
run env SADASYA_MAP_MAX_MB=$limit "$S" --data "$UP" import "$T/up3.csv" --batch 1
# Single registers may still fit in pages freed by earlier transactions
# (an import holds a snapshot that keeps them from reuse): register until
# one fails (bounded).
fitted=0
for ((i = 0; i < 300; i++)); do
    mid=$(total "$UP")
    run env SADASYA_MAP_MAX_MB=$limit "$S" --data "$UP" register --name "सीमा $i" \
        --gender female --phone "99990$(printf %05d "$i")" --district Lucknow
    [[ $RC -ne 0 ]] && break
    echo "$(cat "$T/out") 99990$(printf %05d "$i")" >>"$T/acked"
    fitted=$((fitted + 1))
done
check "register at the map limit fails ($fitted fitted first)" test "$RC" -ne 0
note "register said: $(head -n 1 "$T/err")"
check "... with one clear line naming the map limit" \
    bash -c '[[ $(grep -c . "$1") -eq 1 ]] && grep -q "^sadasya: error: .*map full" "$1"' _ "$T/err"
check "... and wrote nothing (count still $mid)" test "$(total "$UP")" -eq "$mid"
check "UP's store verifies" verify_ok "$UP"
run env SADASYA_MAP_MAX_MB=$((limit * 8)) "$S" --data "$UP" import "$T/up2.csv" --batch 1000
check "with a larger limit the import resumes and finishes" test "$RC" -eq 0
note "import said: $(head -n 1 "$T/out")"
[[ $RC -eq 0 ]] && ack_import "$T/up2.csv"
run env SADASYA_MAP_MAX_MB=$((limit * 8)) "$S" --data "$UP" import "$T/up3.csv" --batch 5
check "... and so does the small-batch one" test "$RC" -eq 0
[[ $RC -eq 0 ]] && ack_import "$T/up3.csv"
up_goal=$(total "$UP")
check "UP holds every row once, and the $fitted registers ($up_goal)" \
    test "$up_goal" -eq $((up_before + 23000 + fitted))

# A node held under a map limit: it fails to take UP's entries, keeps
# running, and catches up once restarted without the limit.
must "$S" --data "$N" roster add --state UP --name "Uttar Pradesh" --key "$UK" >/dev/null
lim_n=$(( ($(stat -c %s "$N/data.mdb") + 1048575) / 1048576 + 1 ))
stop_node N >/dev/null
SADASYA_MAP_MAX_MB=$lim_n start_node N "$N" "$PN"
PU=$(free_port)
start_node UP "$UP" "$PU" --peer "tcp://127.0.0.1:$PN"
n_map_full() { node_log_has N 'map full'; }
check "the national under SADASYA_MAP_MAX_MB=$lim_n logs 'map full' syncing UP" wait_until 30 n_map_full
note "the national logged: $(node_log_since_start N | grep -m1 'map full' | cut -c1-200)"
e0=$(node_log_count N 'map full')
sleep 5
e1=$(node_log_count N 'map full')
note "the national logged $((e1 - e0)) 'map full' batches in 5 s"
check "... and keeps running" node_alive N
n_lim=$(total "$N")
check "... holding fewer than UP's members ($n_lim < $up_goal)" test "$n_lim" -lt "$up_goal"
check "the national's store verifies at its limit" verify_ok "$N"
# The batches pulled ahead (pipelined) before the failed one was applied
# continue from heads the node never reached: the receive worker skips
# them (the failure started a new epoch for the link) and answers to pulls
# made before the failure are dropped, so none is refused as a "gap".
gaps=$(node_log_count N 'rejected seq [0-9]+: gap')
note "the national refused $gaps entries from UP as 'gap' after its failed batch"
check "a failed batch does not make the national refuse UP's next entries as gaps ($gaps)" \
    test "$gaps" -eq 0
stop_node N >/dev/null
start_node N "$N" "$PN"
check "restarted without the limit, the national catches up with UP and JH" \
    wait_converged 60 "$N" "$UP" "$JH"
check_acked "map" "$N" "$UP" "$JH"
check_gapless "map" "$N" "$UP" "$JH"
verify_all "$N" "$UP" "$JH" "$BR"

for n in UP JH N; do check "node $n stops cleanly" stop_node "$n"; done
figure full_disk_fs "\"$FS\""
figure full_disk_lost "$LOST"
figure full_disk_doubled "$DOUBLED"
finish
