#!/usr/bin/env bash
# test_layout.sh — the library's modules form a stack, and LMDB stays
# inside the data layer:
#   * no include cycle among node/ (a module's .c or .h including another
#     module's header is an edge; a private header — X_int.h, store_db.h —
#     counts as its module's: node_int.h is node's, store_db.h store's);
#   * cli/ (the command line) and the daemon's loop (node/node*.c) never
#     include <lmdb.h>, store_db.h or another module's private header:
#     they reach the data through store.h and the modules above it;
#   * no private header is included from outside its own module, save
#     store_db.h (the data modules') and view_int.h (apply.c writes the log
#     through the view batch's cursors);
#   * no source file of node/ or cli/ is over 700 lines unless its head
#     comment says why ("over 700 lines: ...").
# Prints what it finds and which modules see LMDB.
#
#   tests/cli/test_layout.sh [SADASYA_BINARY BUILD_DIR]   (arguments unused)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
python3 - "$top" <<'PYEOF'
import os, re, sys
top = sys.argv[1]
d = os.path.join(top, "node")
headers = {f[:-2] for f in os.listdir(d) if f.endswith(".h")}
def owner(name):
    """The module a file (without extension) belongs to: X_int.h and
    store_db.h are their module's private headers; X_Y.c without an
    X_Y.h of its own is part of module X (node_serve.c of node)."""
    if name == "store_db":
        return "store"
    if name.endswith("_int"):
        return name[:-4]
    base = name.split("_")[0]
    if name not in headers and base in headers:
        return base
    return name
mods = {owner(f[:-2]) for f in os.listdir(d) if f.endswith(".c")}
private = {f[:-2] for f in os.listdir(d) if f.endswith(".h") and
           (f.endswith("_int.h") or f == "store_db.h")}
edges = {}
fails = []
lmdb_users = set()
for f in sorted(os.listdir(d)):
    if not f.endswith((".c", ".h")):
        continue
    m = owner(f[:-2])
    text = open(os.path.join(d, f)).read()
    if re.search(r'#include [<"](lmdb\.h|store_db\.h)[>"]', text) and f != "store_db.h":
        lmdb_users.add(f[:-2])
    for inc in re.findall(r'#include "([a-z_]+)\.h"', text):
        o = owner(inc)
        if inc in private and o != m and inc not in ("store_db", "view_int"):
            fails.append("node/%s includes %s.h, private to %s" % (f, inc, o))
        if inc == "view_int" and m not in ("view", "apply"):
            fails.append("node/%s includes view_int.h" % f)
        if o != m and (o in mods or inc in mods):
            edges.setdefault(m, set()).add(o)
for f in sorted(os.listdir(d)):
    if re.match(r"node(_[a-z]+)?\.c$", f) or f in ("node.h", "node_int.h"):
        if re.search(r'#include [<"](lmdb\.h|store_db\.h)[>"]', open(os.path.join(d, f)).read()):
            fails.append("node/%s (the daemon's loop) sees LMDB" % f)
cli = os.path.join(top, "cli")
for f in sorted(os.listdir(cli)):
    if f.endswith((".c", ".h")):
        text = open(os.path.join(cli, f)).read()
        for inc in re.findall(r'#include [<"]([a-z_]+)\.h[>"]', text):
            if inc in ("lmdb", "store_db") or inc in private:
                fails.append("cli/%s includes %s.h" % (f, inc))
        if re.search(r"\bmdb_|\bMDB_", text):
            fails.append("cli/%s names LMDB" % f)
def reach(a, b, seen):
    for n in edges.get(a, ()):
        if n == b:
            return True
        if n not in seen:
            seen.add(n)
            if reach(n, b, seen):
                return True
    return False
cycles = sorted({tuple(sorted((a, b))) for a in edges for b in edges[a] if reach(b, a, set())})
for a, b in cycles:
    fails.append("include cycle through node/%s and node/%s" % (a, b))
# No source file over 700 lines without its head comment saying why.
LONG = 700
for sub in ("node", "node/web", "cli"):
    d = os.path.join(top, sub)
    if not os.path.isdir(d):
        continue
    for f in sorted(os.listdir(d)):
        if f.endswith((".c", ".h")):
            lines = open(os.path.join(d, f)).read().split("\n")
            if len(lines) - 1 > LONG and "over 700 lines" not in "\n".join(lines[:25]):
                fails.append("%s/%s has %d lines and no reason for them in its "
                             "head comment (\"over 700 lines: ...\")" % (sub, f, len(lines) - 1))
for x in fails:
    print("FAIL: " + x)
n = sum(len(v) for v in edges.values())
print("test_layout: %d modules, %d include edges, %d cycles; LMDB seen by %s"
      % (len(mods), n, len(cycles), " ".join(sorted(lmdb_users))))
sys.exit(1 if fails else 0)
PYEOF
