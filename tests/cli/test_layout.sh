#!/usr/bin/env bash
# test_layout.sh — the library's modules form a stack: no include cycle
# among node/ (a module's .c or .h including another module's header is an
# edge; a cycle is a path back to itself). Prints the cycles found.
#
#   tests/cli/test_layout.sh [SADASYA_BINARY BUILD_DIR]   (arguments unused)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
python3 - "$top/node" <<'PYEOF'
import os, re, sys
d = sys.argv[1]
mods = {f[:-2] for f in os.listdir(d) if f.endswith(".c")}
edges = {}
for f in os.listdir(d):
    if f.endswith((".c", ".h")):
        m = f[:-2]
        for inc in re.findall(r'#include "([a-z_]+)\.h"', open(os.path.join(d, f)).read()):
            if inc != m and inc in mods:
                edges.setdefault(m, set()).add(inc)
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
    print("FAIL: include cycle through node/%s and node/%s" % (a, b))
n = sum(len(v) for v in edges.values())
print("test_layout: %d modules, %d include edges, %d cycles" % (len(mods), n, len(cycles)))
sys.exit(1 if cycles else 0)
PYEOF
