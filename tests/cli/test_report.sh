#!/usr/bin/env bash
# test_report.sh — `sadasya report --html FILE`: the national dashboard.
#
# A national node holding BR and JH members (joined on several dates, urban
# and rural, one inactive) writes the dashboard; the page is opened in
# headless Chromium (Debian `chromium`, installed by deploy/install-deps.sh):
# it must load with no console errors, every chart's SVG must hold marks
# (data-state) for every state of the fixture, and a screenshot is written
# as a test artifact to BUILD_DIR/test-artifacts/report.png. The console
# check is itself checked against a page that throws.
#
#   tests/cli/test_report.sh SADASYA_BINARY BUILD_DIR
#
# Prints each failure, then "test_report: N passed, M failed"; exits 1 if M>0.
# shellcheck disable=SC2016,SC2317  # (SC2317: helpers are called through check)

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init report "SADASYA_BINARY BUILD_DIR" "$@"
CLI_OUT_LINES=8

# --- the fixture ------------------------------------------------------------------
NAT=$T/national BR=$T/bihar JH=$T/jharkhand
"$S" --data "$NAT" init --national >/dev/null
NK=$(key_of "$NAT")
"$S" --data "$BR" init --state BR --name Bihar --trust "$NK" >/dev/null
"$S" --data "$JH" init --state JH --name Jharkhand --trust "$NK" >/dev/null
"$S" --data "$NAT" roster add --state BR --name Bihar --key "$(key_of "$BR")" >/dev/null
"$S" --data "$NAT" roster add --state JH --name Jharkhand --key "$(key_of "$JH")" >/dev/null
i=0
reg() { # DIR GENDER AREA JOINED
    i=$((i + 1))
    "$S" --data "$1" register --name "सदस्य $i" --gender "$2" --area "$3" \
        --phone "98765$(printf %05d $i)" --district Patna --joined "$4"
}
reg "$BR" female urban 2026-09-28 >/dev/null
reg "$BR" male rural 2026-09-30 >/dev/null
reg "$BR" female rural 2026-10-06 >/dev/null
reg "$BR" female rural 2026-10-20 >/dev/null
NI=$(reg "$BR" male urban 2026-10-21)
"$S" --data "$BR" status "$NI" inactive --reason moved >/dev/null
reg "$JH" female urban 2026-10-01 >/dev/null
reg "$JH" other rural 2026-10-14 >/dev/null
reg "$JH" male rural 2026-10-15 >/dev/null
for d in "$BR" "$JH"; do
    "$S" --data "$d" bundle create "$T/b.bundle" >/dev/null
    "$S" --data "$NAT" bundle apply "$T/b.bundle" >/dev/null
done
STATES="BR JH"

HTML=$T/dashboard.html
run "$S" --data "$NAT" report --html "$HTML"
check "report exits 0" rc_is 0
check "report written" test -s "$HTML"
check "self-contained: no script, no external resource" \
    eval '! grep -qiE "<script|<link|<img|src=|url\(|https?://[^\"]*\"" <(sed "s#http://www.w3.org/2000/svg##g" "$HTML")'
check "six charts, each followed by a table" \
    eval '[[ $(grep -c "<svg class=\"chart\"" "$HTML") -eq 6 && $(grep -c "<table>" "$HTML") -ge 6 ]]'
check "members table: BR 5, JH 3" \
    eval 'grep -qF "<tr><th>BR</th><td>5</td><td>&#8377;55.00</td></tr>" "$HTML" && grep -qF "<tr><th>JH</th><td>3</td>" "$HTML"'
check "joins per ISO week: BR week 2026-W40 has 2 joins" \
    eval 'grep -qE "<tr><th>2026-W40</th><td>2</td><td>1</td></tr>" "$HTML"'

# --- headless Chromium ---------------------------------------------------------------
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $CHROMIUM ]]; then
    echo "FAIL: chromium is not installed (deploy/install-deps.sh installs it)"
    FAIL=$((FAIL + 1))
    echo "test_report: $PASS passed, $FAIL failed"
    exit 1
fi
chrome() { # OUT_STDOUT OUT_STDERR ARGS...
    local o=$1 e=$2
    shift 2
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --user-data-dir="$(mktemp -d "$T/tmp/chrome.XXXXXX")" \
        --enable-logging=stderr --v=0 "$@" >"$o" 2>"$e" || true
}
console_errors() { grep -E 'CONSOLE|Uncaught' "$1" | grep -iE 'error|uncaught' || true; }

# The detector sees an error when there is one.
printf '<!DOCTYPE html><html><body><script>throw new Error("planted-boom")</script></body></html>\n' >"$T/bad.html"
chrome "$T/bad.out" "$T/bad.err" --dump-dom "file://$T/bad.html"
check "console check catches a page that throws" eval '[[ -n $(console_errors "$T/bad.err") ]]'

mkdir -p "$BUILD/test-artifacts"
PNG=$BUILD/test-artifacts/report.png
rm -f "$PNG"
chrome "$T/shot.out" "$T/shot.err" --screenshot="$PNG" --window-size=1200,2000 "file://$HTML"
check "screenshot written to $PNG" eval '[[ -s $PNG ]] && head -c 8 "$PNG" | grep -q PNG'
check "no console errors while rendering" eval '[[ -z $(console_errors "$T/shot.err") ]]'
chrome "$T/dom.html" "$T/dom.err" --dump-dom "file://$HTML"
check "no console errors while loading the DOM" eval '[[ -z $(console_errors "$T/dom.err") ]]'
check "DOM dumped" test -s "$T/dom.html"
run "$PY" - "$T/dom.html" $STATES <<'EOF'
# Every <svg class="chart"> in the rendered DOM has marks for every state.
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.charts, self.depth = [], 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and "chart" in (a.get("class") or ""):
            self.charts.append(set())
            self.depth = 1
        elif self.depth:
            if tag == "svg":
                self.depth += 1
            if tag in ("rect", "polyline", "circle") and a.get("data-state"):
                self.charts[-1].add(a["data-state"])
    def handle_endtag(self, tag):
        if tag == "svg" and self.depth:
            self.depth -= 1
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
want = set(sys.argv[2:])
bad = [i for i, c in enumerate(p.charts) if not want <= c]
print(len(p.charts), "charts;", "missing states in charts", bad if bad else "none")
sys.exit(0 if len(p.charts) == 6 and not bad else 1)
EOF
check "every chart in the rendered DOM has marks for every state ($STATES)" rc_is 0

# --json: the same figures as JSON.
"$S" --data "$NAT" --json stats >"$T/stats.json"
for d in "$NAT"; do
    run "$S" --data "$d" --json report
    check "report --json on $(basename "$d"): totals and states of the federation" \
        eval 'rc_is 0 && "$PY" -c "
import json, sys
d = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
ok = d[\"total\"][\"members\"] == s[\"total\"] and sorted(x[\"state\"] for x in d[\"states\"]) == sorted(sys.argv[3].split())
ok = ok and sum(x[\"members\"] for x in d[\"states\"]) == s[\"total\"] and sum(w[\"joins\"] for w in d[\"weeks\"]) == s[\"total\"]
sys.exit(0 if ok else 1)" "$T/out" "$T/stats.json" "$STATES"'
done

run "$S" report --help
check "report --help exits 0" rc_is 0
run "$S" --data "$NAT" report
check "report without --html is a usage error (2)" rc_is 2

finish
