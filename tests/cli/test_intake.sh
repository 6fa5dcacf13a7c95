#!/usr/bin/env bash
# test_intake.sh — a secretary's spreadsheets in and out: `import` of the
# files Excel writes (CSV UTF-8 with a BOM, CRLF, a "Sr No" column, Hindi
# headers, day-first dates, F / महिला, empty rows; "Unicode Text" in UTF-16
# LE and BE; phones Excel made numbers), rows already registered found by
# phone and name (from a file or `register`), `export` read back as a
# no-op, rows that change a member or name another state's number refused,
# and `export --out`, `--bom` and `--format xlsx` with formula cells kept
# as text (read by Python's csv module and openpyxl).
#
#   tests/cli/test_intake.sh SADASYA_BINARY BUILD_DIR
#
# The fixtures are made by tests/cli/fixtures/make_intake.py.
# Prints each failure, then "test_intake: N passed, M failed"; exits 1 if M>0.

# shellcheck disable=SC2317  # helpers are called through check
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init intake "SADASYA_BINARY BUILD_DIR" "$@"
HERE=$(cd "$(dirname "$0")" && pwd)
FIX=$HERE/fixtures
CLI_OUT_LINES=6
CLI_ERR_LINES=6

sd() { run "$S" "$@"; }
err_lines() { [[ $(grep -c . "$T/err" || true) -eq $1 ]]; }
members() { "$S" --data "$1" --json stats 2>/dev/null | sed -n 's/.*"total":\([0-9]*\).*/\1/p'; }
count_is() { [[ $(members "$1") == "$2" ]]; }
entries() { "$S" --data "$1" log --json 2>/dev/null | grep -c . || true; }
py() { RC=0; "$PY" - "$@" >"$T/out" 2>"$T/err" || RC=$?; }

NATKEY=$("$S" --data "$T/nat" init --national --name India | tail -n 1)
D=$T/br
"$S" --data "$D" init --state BR --name Bihar --trust "$NATKEY" >/dev/null

# --- CSV UTF-8 as Excel saves it ----------------------------------------------
sd --data "$D" import "$FIX/excel_utf8.csv"
check "Excel CSV with a Sr No column: refused (1)" rc_is 1
check "... naming the column" err_has 'unknown column "Sr No"'
check "... and the way round it" err_has "--ignore-unknown"
check "... in one line" err_lines 1
check "... nothing imported" count_is "$D" 0

printf 'Sr No,Remarks,नाम,मोबाइल,लिंग,जिला\n1,x,नूतन सिन्हा,9431100001,F,Patna\n' >"$T/two.csv"
sd --data "$D" import "$T/two.csv"
check "two unknown columns: both named in the one line" \
    err_has 'unknown columns "Sr No", "Remarks"'
check "... one line" err_lines 1

sd --data "$D" import "$FIX/excel_utf8.csv" --ignore-unknown
check "--ignore-unknown: exit 0" rc_is 0
check "... 4 members (empty rows at the end skipped)" out_has "imported 4 members (BR-0000001-7 .. BR-0000004-0)"
check "... the ignored column listed" err_has 'columns ignored: "Sr No"'
check "... 4 held" count_is "$D" 4
sd --data "$D" --json show BR-0000001-7
check "Full Name, Mobile No., ज़िला read; F is female" out_has '"gender":"female"'
check "... DD/MM/YYYY read day first" out_has '"joined":"2026-10-15"'
check "... district from the Hindi column" out_has '"district":"पटना"'
sd --data "$D" --json show BR-0000002-9
check "DD-MM-YYYY" out_has '"joined":"2026-09-01"'
sd --data "$D" --json show BR-0000003-8
check "महिला is female" out_has '"gender":"female"'
sd --data "$D" --json show BR-0000004-0
check "पुरुष is male; 3 Nov 2026" out_has '"joined":"2026-11-03"'
check "... gender" out_has '"gender":"male"'

# one row appended (after the empty rows, as a secretary would): only it
# is registered; the others are recognised, with their numbers
{ cat "$FIX/excel_utf8.csv"; printf '5,नितेश शरण,9431100005,M,Gaya,02/11/2026\r\n'; } >"$T/appended.csv"
sd --data "$D" --json import "$T/appended.csv" --ignore-unknown
check "appended row: exit 0" rc_is 0
check "... only the new row registered" out_has '"imported":1,"skipped_bad":0,"already":0,"registered":4,"updated":0,"first":"BR-0000005-5"'
check "... 5 held" count_is "$D" 5
sed 's/\r$//' "$T/appended.csv" >"$T/lf.csv"
sd --data "$D" import "$T/lf.csv" --ignore-unknown
check "re-saved with LF: nothing registered" out_has "imported 0 members; 5 rows already registered"
check "... each named with its number" out_has "lf.csv:2: already registered as BR-0000001-7"
check "... 5 held" count_is "$D" 5

# a member registered by hand is recognised too
"$S" --data "$D" register --name "सपना वर्मा" --gender female --phone 9431100031 \
    --district Patna >/dev/null
printf 'name,gender,phone,district\n सपना वर्मा ,F,+91 94311 00031,Patna\nसपना वर्मा,F,9431100032,Patna\n' >"$T/byhand.csv"
sd --data "$D" import "$T/byhand.csv"
check "a row registered by hand: not registered again" out_has "imported 1 member (BR-0000007-2); 1 row already registered"
check "... named by its number" out_has "byhand.csv:2: already registered as BR-0000006-4"
check "... 7 held" count_is "$D" 7

# --- Unicode Text: UTF-16, tab-separated -----------------------------------------
sd --data "$D" import "$FIX/unicode_text.txt"
check "UTF-16 LE Unicode Text: exit 0" rc_is 0
check "... 3 members" out_has "imported 3 members (BR-0000008-6 .. BR-0000010-3)"
sd --data "$D" --json show BR-0000008-6
check "... Devanagari name read" out_has '"name":"दीपेश भटनागर"'
check "... DD/MM/YYYY" out_has '"joined":"2026-11-02"'
sd --data "$D" --json show BR-0000009-3
check "... अन्य is other" out_has '"gender":"other"'
sd --data "$D" --json show BR-0000010-3
check "... a quoted cell, स्त्री, 14 Oct 2026" out_has '"joined":"2026-10-14"'
check "... स्त्री is female" out_has '"gender":"female"'
{ printf '\xfe\xff'; tail -c +3 "$FIX/unicode_text.txt" | iconv -f UTF-16LE -t UTF-16BE; } >"$T/be.txt"
sd --data "$D" --json import "$T/be.txt"
check "UTF-16 BE: read (the same rows, all registered)" out_has '"imported":0,"skipped_bad":0,"already":0,"registered":3,'

# --- refusals -----------------------------------------------------------------------
sd --data "$D" import "$FIX/excel_number.csv"
check "a phone Excel made a number: refused" rc_is 1
check "... saying Excel turned it into a number" err_has 'excel_number.csv:2: phone "9.43110E+09" was turned into a number by Excel'
check "... and how to keep it text" err_has "format the phone column as Text"
check "... 9431100000.0 too" err_has 'excel_number.csv:3: phone "9431100000.0" was turned into a number'
printf 'name,gender,phone,district,joined\nअनुज माथुर,M,9431100041,Patna,10/15/2026\n' >"$T/mdy.csv"
sd --data "$D" import "$T/mdy.csv"
check "month first (10/15/2026): refused" rc_is 1
check "... naming the forms taken" err_has 'mdy.csv:2: date "10/15/2026": month 15 does not exist (dates are read day first: write DD/MM/YYYY, DD-MM-YYYY, YYYY-MM-DD or 15 Oct 2026)'
check "refusals import nothing" count_is "$D" 10

# --- export, then import: nothing changes ------------------------------------------------
sd --data "$D" export --out "$T/all.csv"
check "export --out: exit 0" rc_is 0
check "... nothing on stdout" bash -c '[[ ! -s $1 ]]' _ "$T/out"
n0=$(entries "$D")
sd --data "$D" --json import "$T/all.csv"
check "export read back: exit 0" rc_is 0
check "... every row registered already" out_has '"imported":0,"skipped_bad":0,"already":0,"registered":10,'
check "... no new log entries" bash -c '[[ $1 -eq $2 ]]' _ "$n0" "$(entries "$D")"
check "... 10 held" count_is "$D" 10
sd --data "$D" verify
check "... verify clean" rc_is 0
check "... no failures" out_has "0 failures"

# a secretary corrects three cells of the export and imports it: exactly
# those three change, through signed entries, and are reported
"$PY" - "$T/all.csv" "$T/edited.csv" <<'PYEOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
col = {h: i for i, h in enumerate(rows[0])}
by = {r[0]: r for r in rows[1:]}
by["BR-0000002-9"][col["district"]] = "Nalanda"
by["BR-0000003-8"][col["email"]] = "sapna@example.in"
by["BR-0000005-5"][col["status"]] = "inactive"
by["BR-0000005-5"][col["status-reason"]] = "moved to Delhi"
with open(sys.argv[2], "w", encoding="utf-8", newline="") as f:
    csv.writer(f, lineterminator="\n").writerows(rows)
PYEOF
sd --data "$D" import "$T/edited.csv"
check "three cells edited: exit 0" rc_is 0
check "... 3 members updated, none registered" out_has "imported 0 members; updated 3 members; 7 rows already registered"
check "... the district named" out_has "edited.csv:3: updated BR-0000002-9: district"
check "... the email named" out_has "edited.csv:4: updated BR-0000003-8: email"
check "... the status named" out_has "edited.csv:6: updated BR-0000005-5: status"
check "... three entries signed" bash -c '[[ $(( $2 - $1 )) -eq 3 ]]' _ "$n0" "$(entries "$D")"
check "... 10 held" count_is "$D" 10
sd --data "$D" export --out "$T/after.csv"
check "... the export now is the edited file, cell for cell" cmp -s "$T/edited.csv" "$T/after.csv"
sd --data "$D" verify
check "... verify clean" out_has "0 failures"
n1=$(entries "$D")
sed 's/$/\r/' "$T/after.csv" >"$T/after_crlf.csv"
sd --data "$D" import "$T/after_crlf.csv"
check "the new export read back (CRLF): nothing more" out_has "imported 0 members; 10 rows already registered"
check "... no new entries" bash -c '[[ $1 -eq $2 ]]' _ "$n1" "$(entries "$D")"

# what no entry changes is refused; the referrer is never re-pointed
sed '2s/,female,9431100001,/,male,9431100001,/' "$T/after.csv" >"$T/gender.csv"
sd --data "$D" import "$T/gender.csv"
check "a changed gender: refused, naming the member" err_has "gender.csv:2: BR-0000001-7: gender cannot be changed (it stays female)"
check "... nothing written" bash -c '[[ $1 -eq $2 ]]' _ "$n1" "$(entries "$D")"
"$PY" - "$T/after.csv" "$T/ref.csv" <<'PYEOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
rows[2][rows[0].index("referred-by")] = "BR-0000001-7"
with open(sys.argv[2], "w", encoding="utf-8", newline="") as f:
    csv.writer(f, lineterminator="\n").writerows(rows)
PYEOF
sd --data "$D" import "$T/ref.csv"
check "a referred-by cell: not re-pointed" out_has "imported 0 members; 10 rows already registered"
sd --data "$D" --json show BR-0000002-9
check "... the member still has no referrer" bash -c '! grep -q "BR-0000001-7" "$1"' _ "$T/out"
check "... nothing written" bash -c '[[ $1 -eq $2 ]]' _ "$n1" "$(entries "$D")"

sed '2s/^BR-0000001-7,BR,/UP-0000001-7,UP,/' "$T/all.csv" >"$T/other.csv"
sd --data "$D" import "$T/other.csv"
check "another state's number: a line error" err_has "other.csv:2: number UP-0000001-7 is of state UP; this node imports members of BR"
sed '2s/^BR-0000001-7,/BR-0000099-8,/' "$T/all.csv" >"$T/nobody.csv"
sd --data "$D" import "$T/nobody.csv"
check "a number no member holds: a line error" err_has "nobody.csv:2: number BR-0000099-8: no member holds it"
check "... nothing imported" count_is "$D" 10

# --- formula cells stay text ----------------------------------------------------------------
sd --data "$D" import "$FIX/formula.csv"
check "formula cells import as text" out_has "imported 1 member (BR-0000011-9)"
sd --data "$D" export --state BR --bom --out "$T/f.csv"
check "export --bom: starts with the UTF-8 BOM" bash -c '[[ $(head -c 3 "$1" | od -An -tx1 | tr -d " ") == efbbbf ]]' _ "$T/f.csv"
py "$T/f.csv" <<'PYEOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig")))
r = [x for x in rows if x["number"] == "BR-0000011-9"][0]
# A spreadsheet runs a cell starting with = + - @; a leading ' shows it as text.
for col in ("name", "district"):
    assert r[col][0] == "'", (col, r[col])
print(r["name"], r["district"], rows[0]["name"])
PYEOF
check "CSV: formula cells guarded (Python csv)" rc_is 0
check "... the text kept after the guard" out_has "'=HYPERLINK(\"http://x\",\"y\") '=1+2 नूतन सिन्हा"
sd --data "$D" export --format xlsx
check "xlsx without --out: usage error (2)" rc_is 2
sd --data "$D" export --format xlsx --out "$T/m.xlsx"
check "export --format xlsx: exit 0" rc_is 0
py "$T/m.xlsx" <<'PYEOF'
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1]).active
head = [c.value for c in ws[1]]
assert head[:6] == ["number", "state", "name", "name-en", "gender", "phone"], head
rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
assert len(rows) == 11, len(rows)
f = rows["BR-0000011-9"]
col = {h: i for i, h in enumerate(head)}
for name, want in (("name", '=HYPERLINK("http://x","y")'), ("district", "=1+2")):
    c = f[col[name]]
    assert c.data_type == "s" and c.value == want, (name, c.data_type, c.value)
p = rows["BR-0000001-7"][col["phone"]]
assert p.data_type == "s" and p.value == "9431100001", (p.data_type, p.value)
n = rows["BR-0000001-7"][col["number"]]
assert n.data_type == "s"
assert rows["BR-0000001-7"][col["name"]].value == "नूतन सिन्हा"
assert ws.column_dimensions["C"].width > 20
print("xlsx ok")
PYEOF
check "xlsx (openpyxl): header, formula cells as text, phones as text, Devanagari, widths" out_has "xlsx ok"

finish
