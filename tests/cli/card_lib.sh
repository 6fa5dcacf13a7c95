# shellcheck shell=bash
# card_lib.sh — what the card tests (test_card.sh, test_card_face.sh)
# share, sourced after lib.sh's cli_init: running a command on a named
# data directory, the checks of its output, and carrying entries between
# nodes by bundle file.

# sd DIR ARGS… — sadasya on data directory DIR (run: out, err, RC).
sd() { run "$S" --data "$@"; }
first_line_is() { [[ $(head -n1 "$T/out") == "$1" ]]; }
one_error() { # one "sadasya: error:" line on stderr
    [[ $(grep -c '' "$T/err") -eq 1 ]] && [[ $(head -c 16 "$T/err") == "sadasya: error: " ]]
}
# pyt EXPR — a Python expression over `d`, the JSON object on stdout.
pyt() {
    [[ $("$PY" -c 'import json,sys; d=json.load(open(sys.argv[2])); print(bool(eval(sys.argv[1])))' \
        "$1" "$T/out") == True ]]
}
carry() { # carry FROM TO — FROM's entries to TO by bundle file
    "$S" --data "$1" bundle create "$T/$1-to-$2.bundle" $([[ $1 == nat ]] && echo --for IN) >/dev/null
    "$S" --data "$2" bundle apply "$T/$1-to-$2.bundle" >/dev/null
}
