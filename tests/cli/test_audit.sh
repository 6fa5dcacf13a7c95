#!/usr/bin/env bash
# test_audit.sh — `sadasya audit --out DIR`: the auditor's report.
#
# A national node and two chapters (BR, JH) whose entries reach the national
# by bundle; one BR member pays Rs 21. On the clean national store the audit
# says ok, exits 0, and its JSON totals equal `stats --json`; the Rs 21
# member is itemised; on a copy with one byte of BR seq 2 flipped
# (tests/tools/tamper.c) it exits 1 and names "BR seq 2" in both files; it
# runs on a read-only copy. After a handover (BR's second key, series from
# serial 4) the national's audit lists no gap and says ok; JH, which took
# BR's 4th entry before hearing of the cut, retracted it: its audit lists
# the void entry and fails (exit 1), as it must for any gap, number issued
# twice, retraction or equivocation it shows.
#
#   tests/cli/test_audit.sh SADASYA_BINARY BUILD_DIR     (BUILD_DIR/tamper)
#
# Prints each failure, then "test_audit: N passed, M failed"; exits 1 if M>0.
# shellcheck disable=SC2016,SC2317  # (SC2317: helpers are called through check)

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init audit "SADASYA_BINARY BUILD_DIR" "$@"
# (tamper with no arguments prints its usage and exits 2.)
cli_copy "$BUILD/tamper" tamper 2
TAMPER=$T/tamper
CLI_OUT_LINES=8
# jq_true DIR PYEXPR — PYEXPR (over d = DIR/audit.json, s = stats) is true.
jtrue() {
    "$PY" - "$1" "$T/stats.json" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1] + "/audit.json"))
s = json.load(open(sys.argv[2]))
sys.exit(0 if eval(sys.argv[3]) else 1)
EOF
}

# --- the federation ------------------------------------------------------------
NAT=$T/national BR=$T/bihar JH=$T/jharkhand
"$S" --data "$NAT" init --national >/dev/null
NK=$(key_of "$NAT")
"$S" --data "$BR" init --state BR --name Bihar --trust "$NK" >/dev/null
"$S" --data "$JH" init --state JH --name Jharkhand --trust "$NK" >/dev/null
BK=$(key_of "$BR")
JK=$(key_of "$JH")
"$S" --data "$NAT" roster add --state BR --name Bihar --key "$BK" >/dev/null
"$S" --data "$NAT" roster add --state JH --name Jharkhand --key "$JK" >/dev/null
"$S" --data "$BR" register --name "राजीव रंजन" --gender male --phone 9876543210 --district Patna >/dev/null
"$S" --data "$BR" register --name "रागिनी" --gender female --phone 9876543211 --district Gaya >/dev/null
N21=$("$S" --data "$BR" register --name "अनुराग" --gender male --phone 9876543212 \
    --district Patna --fee-paise 2100 --payment-ref UPI-4242)
"$S" --data "$JH" register --name "सीता" --gender female --phone 9876543213 --district Ranchi >/dev/null
"$S" --data "$JH" register --name "गीता" --gender female --phone 9876543214 --district Dhanbad >/dev/null
"$S" --data "$BR" bundle create "$T/br.bundle" >/dev/null
"$S" --data "$JH" bundle create "$T/jh.bundle" >/dev/null
"$S" --data "$NAT" bundle apply "$T/br.bundle" >/dev/null
"$S" --data "$NAT" bundle apply "$T/jh.bundle" >/dev/null
"$S" --data "$NAT" --json stats >"$T/stats.json"
check "fixture: the national holds 5 members" \
    eval '[[ $("$PY" -c "import json,sys; print(json.load(sys.stdin)[\"total\"])" <"$T/stats.json") == 5 ]]'

# --- the clean store -------------------------------------------------------------
A=$T/audit-clean
run "$S" --data "$NAT" audit --out "$A"
check "clean: audit exits 0" rc_is 0
check "clean: audit.html and audit.json written" test -s "$A/audit.html" -a -s "$A/audit.json"
check "clean: JSON says ok, no failures" jtrue "$A" 'd["ok"] is True and d["failures"] == []'
check "clean: JSON total equals stats --json" jtrue "$A" 'd["total"] == s["total"]'
check "clean: JSON fee_paise equals stats --json" jtrue "$A" 'd["fee_paise"] == s["fee_paise"]'
check "clean: per-origin members add up to the total" \
    jtrue "$A" 'sum(o["members"] for o in d["origins"]) == s["total"]'
check "clean: per-origin fees add up to fee_paise" \
    jtrue "$A" 'sum(o["fees"]["total_paise"] for o in d["origins"]) == s["fee_paise"]'
check "clean: origins IN, BR, JH with heads and keys" \
    jtrue "$A" 'sorted(o["state"] for o in d["origins"]) == ["BR", "IN", "JH"] and all(len(o["key"]) == 64 and len(o["head_hash"]) == 64 for o in d["origins"])'
check "clean: BR numbering 1..3, no gaps" \
    jtrue "$A" '[(o["numbering"]["first"], o["numbering"]["last"], o["numbering"]["no_gaps"]) for o in d["origins"] if o["state"] == "BR"] == [(1, 3, True)]'
check "clean: signatures checked = entries" \
    jtrue "$A" 'd["signatures"] == d["entries"] == sum(o["signatures_checked"] for o in d["origins"])'
check "clean: the Rs 21 member is itemised with its payment ref" \
    jtrue "$A" '[(x["number"], x["fee_paise"], x["payment_ref"]) for o in d["origins"] for x in o["fees"]["exceptions"]] == [("'"$N21"'", 2100, "UPI-4242")]'
check "clean: BR fees 4300 paise against 3300 expected" \
    jtrue "$A" '[(o["fees"]["total_paise"], o["fees"]["expected_paise"]) for o in d["origins"] if o["state"] == "BR"] == [(4300, 3300)]'
check "clean: roster history lists BR and JH with their seqs" \
    jtrue "$A" '[c["state"] for r in d["roster_history"] for c in r["chapters"]] == ["BR", "JH"] and all(r["seq"] > 0 and r["time"].endswith("Z") for r in d["roster_history"])'
check "clean: members by status" \
    jtrue "$A" 'all(o["members_by_status"]["active"] == o["members"] for o in d["origins"])'
check "clean: when and what it checked" \
    jtrue "$A" 'd["generated"].endswith("Z") and len(d["checks"]) >= 5 and d["node"]["role"] == "national"'
check "clean: HTML names the Rs 21 member and says ok" \
    eval 'grep -qF "$N21" "$A/audit.html" && grep -qF "UPI-4242" "$A/audit.html" && grep -q "Verdict: ok" "$A/audit.html"'
check "clean: HTML is self-contained (no external resources, no script)" \
    eval '! grep -qiE "<script|<link|src=\"http|href=\"http" "$A/audit.html"'

# --- a planted fault: one byte of BR seq 2's entry ----------------------------
C=$T/copy-tampered
cp -a "$NAT" "$C"
run "$TAMPER" "$C" log "$BK" 2 100
check "tamper: the tool changed the store" rc_is 0
B=$T/audit-bad
run "$S" --data "$C" audit --out "$B"
check "tampered: audit exits 1" rc_is 1
check "tampered: report still written" test -s "$B/audit.json" -a -s "$B/audit.html"
check "tampered: JSON ok false, names BR seq 2" \
    jtrue "$B" 'd["ok"] is False and any("BR seq 2" in f for f in d["failures"])'
check "tampered: the BR origin lists the failure" \
    jtrue "$B" 'any("BR seq 2" in f for o in d["origins"] if o["state"] == "BR" for f in o["failures"])'
check "tampered: HTML names BR seq 2 and says FAILED" \
    eval 'grep -qF "BR seq 2" "$B/audit.html" && grep -q "Verdict: FAILED" "$B/audit.html"'

# --- a read-only copy --------------------------------------------------------------
RO=$T/readonly
cp -a "$NAT" "$RO"
chmod -R a-w "$RO"
SUM=$(sha256sum <"$RO/data.mdb")
R=$T/audit-ro
run "$S" --data "$RO" audit --out "$R"
check "read-only copy: audit exits 0" rc_is 0
check "read-only copy: totals equal stats --json" \
    jtrue "$R" 'd["ok"] and d["total"] == s["total"] and d["fee_paise"] == s["fee_paise"]'
check "read-only copy: store unchanged" eval '[[ $(sha256sum <"$RO/data.mdb") == "$SUM" ]]'

# --- a handover and a revocation race: the verdict covers what is listed ------------
# JH holds BR's first key's log; BR signs a 4th member; JH takes it before it
# hears that the national handed BR over to a new key at seq 3 (the default
# cut: what the national held). JH then retracts BR seq 4. The new key's
# series starts at serial 4: no gap on the national, whose audit is ok; the
# audit of JH lists the retracted entry, and so must fail.
BR2=$T/bihar2
"$S" --data "$NAT" bundle create "$T/nat1.bundle" --for IN >/dev/null
"$S" --data "$JH" bundle apply "$T/nat1.bundle" >/dev/null
"$S" --data "$BR" register --name "चौथा" --gender male --phone 9876543215 --district Patna >/dev/null
"$S" --data "$BR" bundle create "$T/br2.bundle" >/dev/null
"$S" --data "$JH" bundle apply "$T/br2.bundle" >/dev/null
"$S" --data "$BR2" init --state BR --name Bihar --trust "$NK" --replacing >/dev/null
BK2=$(key_of "$BR2")
"$S" --data "$NAT" roster add --state BR --name Bihar --key "$BK2" >/dev/null
"$S" --data "$NAT" bundle create "$T/nat2.bundle" --for IN >/dev/null
"$S" --data "$JH" bundle apply "$T/nat2.bundle" >/dev/null
"$S" --data "$BR2" bundle apply "$T/nat2.bundle" >/dev/null
NB2=$("$S" --data "$BR2" register --name "नई कुंजी" --gender female --phone 9876543216 --district Patna)
check "fixture: the new key's first member is serial 4 ($NB2)" eval '[[ $NB2 == BR-0000004-* ]]'
"$S" --data "$BR2" bundle create "$T/br2new.bundle" >/dev/null
"$S" --data "$NAT" bundle apply "$T/br2new.bundle" >/dev/null
"$S" --data "$JH" bundle apply "$T/br2new.bundle" >/dev/null

H=$T/audit-handover
run "$S" --data "$NAT" audit --out "$H"
check "handover: audit exits 0" rc_is 0
check "handover: the new key's series starts at serial 4, no gaps listed" \
    jtrue "$H" '[(o["numbering"]["first_serial"], o["numbering"]["first"], o["numbering"]["no_gaps"]) for o in d["origins"] if o["key"] == "'"$BK2"'"] == [(4, 4, True)]'
check "handover: no origin lists a gap, and the verdict is ok" \
    jtrue "$H" 'd["ok"] is True and all(o["numbering"]["no_gaps"] for o in d["origins"])'

V=$T/audit-retracted
run "$S" --data "$JH" audit --out "$V"
check "retraction: audit exits 1" rc_is 1
check "retraction: JSON lists BR seq 4 as void and says not ok" \
    jtrue "$V" 'd["ok"] is False and [(x["state"], x["seq"]) for x in d["voided"]] == [("BR", 4)] and any("BR seq 4" in f and "retracted" in f for f in d["failures"])'
check "retraction: HTML says FAILED and lists the void entry" \
    eval 'grep -q "Verdict: FAILED" "$V/audit.html" && grep -q "beyond its key" "$V/audit.html"'
consistent() { # every report given: ok only when nothing is listed as wrong
    local r
    for r in "$@"; do
        jtrue "$r" 'd["ok"] is False or (all(o["numbering"]["no_gaps"] for o in d["origins"]) and not d.get("voided") and not d["evidence"])' || return 1
    done
}
check "every report: a listed gap, void entry or evidence never comes with an ok verdict" \
    consistent "$A" "$B" "$H" "$V"

# --- --json, erasures, an auditor's copy and a bundle ---------------------------
# jout PYEXPR — PYEXPR over d = the JSON on $T/out is true.
jout() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$T/out" "$1"; }
run "$S" --data "$NAT" --json audit
check "audit --json: exit 0 and the report on stdout" eval 'rc_is 0 && jout "d[\"ok\"] is True and len(d[\"origins\"]) == 4"'
JE=$("$S" --data "$JH" register --name "मीना" --gender female --phone 9876543299 --district Ranchi)
"$S" --data "$JH" erase "$JE" --reason "her letter" >/dev/null
run "$S" --data "$JH" --json audit
check "audit lists the erasure: number, date, reason" \
    jout "[(e['number'], e['date'], e['reason']) for e in d['erasures']] == [('$JE', '$(date -u +%F)', 'her letter')]"
E=$T/audit-erased
run "$S" --data "$JH" audit --out "$E"
check "the HTML report lists the erasure" eval 'grep -q "erased on request" "$E/audit.html" && grep -q "$JE" "$E/audit.html" && grep -q "her letter" "$E/audit.html"'
"$S" --data "$NAT" backup --without-key "$T/nokey" >/dev/null
run "$S" --data "$T/nokey" --json audit
check "audit on a copy made by backup --without-key: ok" eval 'rc_is 0 && jout "d[\"ok\"] is True"'
"$S" --data "$NAT" --json stats >"$T/stats.json"
"$S" --data "$NAT" bundle create "$T/all.bundle" --for IN >/dev/null
run "$S" --data "$T/none" --json audit --bundle "$T/all.bundle" --trust "$NK"
check "audit of a bundle with no data directory: ok, the national totals" \
    eval 'rc_is 0 && jout "d[\"ok\"] is True and d[\"total\"] == json.load(open(\"$T/stats.json\"))[\"total\"] and d[\"data_dir\"].startswith(\"bundle \")"'
check "... and no data directory was made" test ! -e "$T/none"
run "$S" --json audit --bundle "$T/all.bundle" --trust "$JK"
check "audit of a bundle trusting another key: exit 1, its entries refused" \
    eval 'rc_is 1 && jout "d[\"ok\"] is False and any(\"refused\" in f for f in d[\"failures\"])"'
run "$S" --json audit --bundle "$T/all.bundle"
check "audit --bundle without --trust is a usage error (2)" rc_is 2

run "$S" audit --help
check "audit --help exits 0" rc_is 0
run "$S" --data "$NAT" audit
check "audit without --out is a usage error (2)" rc_is 2

finish
