# shellcheck shell=bash disable=SC2034  # globals shared with lib.sh and the tests
# lib_netns.sh — a private network for the fault tests: one network
# namespace per node, each with one interface (eth0, 10.213.0.X/24) whose
# other end sits in a bridge in a hub namespace. Nothing outside these
# namespaces is touched: no address, link, route or rule of the root
# namespace changes. Source it after lib_fault.sh:
#
#   . "$here/lib_fault.sh"
#   . "$here/lib_netns.sh"
#   lib_init NAME "$@"
#   netns_usable || skip "$NETNS_WHY"
#   netns_setup N BR JH ...        # names; the last one given to
#                                  # NETNS_LOSSY=NAME gets the lossy link
#   ns_start_node BR "$T/BR" --peer ...    # listens on tcp://IP:NS_PORT
#
# Faults:
#   netns_cut NAME...       those nodes' ports move to a second bridge: the
#                           federation splits into two sides that cannot
#                           reach each other (frames are simply not
#                           delivered; nothing answers, nothing resets).
#   netns_heal              every port back on the first bridge, one-way
#                           cuts undone.
#   netns_oneway FROM TO... FROM's packets to TO are dropped (a permanent
#                           neighbour entry in FROM's namespace pointing at
#                           a MAC nobody has; the bridge floods the frames
#                           and every interface discards them). TO's packets
#                           to FROM still arrive: a one-way cut.
#   netns_impair NAME LOSS_PCT DELAY_MS
#                           loss and delay on NAME's link, both directions:
#                           tc netem when the kernel has it; otherwise NAME's
#                           link is a pair of TAP devices joined by a small
#                           forwarder (tests/fault/netlink_fwd.py, written
#                           to $T) that drops and delays frames the same
#                           way. netns_impair NAME 0 0 clears it.
#
# The EXIT trap stops every node, the forwarder, and deletes every
# namespace this script made (which removes their links). Namespaces left
# by a test that was killed with SIGKILL (named sdfault-PID-…, PID gone)
# are removed by the next run.

NETNS_P="sdfault-$$"
NETNS_HUB="$NETNS_P-hub"
NETNS_MADE=""            # namespaces made, for the trap
NETNS_NETEM=0            # 1: tc netem works here
NETNS_LOSSY=${NETNS_LOSSY:-}
NETNS_FWD_PID=""
NETNS_WHY=""
NS_PORT=7400
NETNS_NEXT=11
NETNS_BOGUS_MAC=02:00:5e:00:de:ad
declare -A NS_OF=() IP_OF=() HUBPORT_OF=()

# netns_usable — 0 when this machine lets us make namespaces, veth pairs
# and bridges; otherwise 1 with the reason in NETNS_WHY.
netns_usable() {
    if ! command -v ip >/dev/null 2>&1; then
        NETNS_WHY="no ip command (iproute2)"
        return 1
    fi
    if [[ $(id -u) -ne 0 ]]; then
        NETNS_WHY="not root: network namespaces need CAP_NET_ADMIN and CAP_SYS_ADMIN"
        return 1
    fi
    local probe="$NETNS_P-probe" ok=1
    if ! ip netns add "$probe" 2>"$T/netns.err"; then
        NETNS_WHY="cannot create a network namespace: $(head -n 1 "$T/netns.err")"
        return 1
    fi
    if ! ip -n "$probe" link add p0 type veth peer name p1 2>"$T/netns.err"; then
        NETNS_WHY="cannot create a veth pair: $(head -n 1 "$T/netns.err")"
        ok=0
    elif ! ip -n "$probe" link add b0 type bridge 2>"$T/netns.err"; then
        NETNS_WHY="cannot create a bridge: $(head -n 1 "$T/netns.err")"
        ok=0
    fi
    if [[ $ok == 1 ]] && ip -n "$probe" link set p0 up 2>/dev/null &&
        ip netns exec "$probe" tc qdisc add dev p0 root netem loss 1% delay 1ms 2>/dev/null; then
        NETNS_NETEM=1
    fi
    ip netns del "$probe" 2>/dev/null
    [[ $ok == 1 ]] || return 1
    if [[ $NETNS_NETEM == 0 && -n $NETNS_LOSSY ]] && [[ ! -c /dev/net/tun ]]; then
        NETNS_WHY="neither tc netem nor /dev/net/tun for the lossy link"
        return 1
    fi
    return 0
}

# Namespaces of earlier runs killed before their trap could run.
netns_reap_stale() {
    local ns pid p
    while read -r ns _; do
        [[ $ns =~ ^sdfault-([0-9]+)- ]] || continue
        pid=${BASH_REMATCH[1]}
        [[ $pid == "$$" ]] && continue
        kill -0 "$pid" 2>/dev/null && continue
        # Only processes of ours (nodes, the forwarder) can be in there.
        for p in $(ip netns pids "$ns" 2>/dev/null); do
            if grep -qE 'sadasyad|netlink_fwd' "/proc/$p/cmdline" 2>/dev/null; then
                kill -KILL "$p" 2>/dev/null
            fi
        done
        ip netns del "$ns" 2>/dev/null && note "removed a stale namespace $ns"
    done < <(ip netns list 2>/dev/null)
}

netns_add() {
    ip netns add "$1" || lib_abort "ip netns add $1 failed"
    NETNS_MADE+=" $1"
    ip -n "$1" link set lo up
}

# netns_setup NAME... — the hub and one namespace per node.
netns_setup() {
    netns_reap_stale
    trap netns_exit EXIT
    netns_add "$NETNS_HUB"
    ip -n "$NETNS_HUB" link add br0 type bridge || lib_abort "bridge br0"
    ip -n "$NETNS_HUB" link add br1 type bridge || lib_abort "bridge br1"
    ip -n "$NETNS_HUB" link set br0 up
    ip -n "$NETNS_HUB" link set br1 up
    local name
    for name in "$@"; do
        netns_add_node "$name"
    done
    # Every node answers ping from every other (bounded).
    local a b
    for a in "$@"; do
        for b in "$@"; do
            [[ $a == "$b" ]] && continue
            wait_until 10 netns_ping "$a" "$b" ||
                lib_abort "$a cannot reach $b in the test network"
        done
    done
    note "private network: $(( $# )) namespaces on 10.213.0.0/24 under $NETNS_P-*" \
        "(lossy link: ${NETNS_LOSSY:-none}, $( [[ $NETNS_NETEM == 1 ]] && echo 'tc netem' || echo 'TAP forwarder'))"
}

# netns_ping FROM TO — one ICMP echo answered within 1 s (no ping binary
# needed: a raw socket from Python).
netns_ping() {
    ip netns exec "${NS_OF[$1]}" "$PY" - "${IP_OF[$2]}" 2>/dev/null <<'PYEOF'
import os, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(1.0)
ident = os.getpid() & 0xFFFF
msg = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"sadasya!"
c = sum(struct.unpack("!%dH" % (len(msg) // 2), msg))
c = (c >> 16) + (c & 0xFFFF)
c = ~(c + (c >> 16)) & 0xFFFF
s.sendto(msg[:2] + struct.pack("!H", c) + msg[4:], (sys.argv[1], 0))
while True:
    data, addr = s.recvfrom(1500)
    ihl = (data[0] & 0x0F) * 4
    t, _, _, i, _ = struct.unpack("!BBHHH", data[ihl:ihl + 8])
    if t == 0 and i == ident and addr[0] == sys.argv[1]:
        sys.exit(0)
PYEOF
}

netns_add_node() {
    local name=$1 ns="$NETNS_P-$1" i=$NETNS_NEXT
    NETNS_NEXT=$((NETNS_NEXT + 1))
    netns_add "$ns"
    NS_OF[$name]=$ns
    IP_OF[$name]=10.213.0.$i
    if [[ $name == "$NETNS_LOSSY" && $NETNS_NETEM == 0 ]]; then
        netns_forwarder "$name" "t$i"
    else
        ip -n "$NETNS_HUB" link add "v$i" type veth peer name eth0 netns "$ns" ||
            lib_abort "veth for $name"
        HUBPORT_OF[$name]=v$i
    fi
    ip -n "$NETNS_HUB" link set "${HUBPORT_OF[$name]}" master br0
    ip -n "$NETNS_HUB" link set "${HUBPORT_OF[$name]}" up
    ip -n "$ns" addr add "${IP_OF[$name]}/24" dev eth0
    ip -n "$ns" link set eth0 up
}

# The lossy link without netem: eth0 in the node's namespace and HUBPORT in
# the hub are TAP devices; a forwarder copies frames between them, dropping
# and delaying as its control file says ("LOSS_PCT DELAY_MS").
netns_forwarder() {
    local name=$1 hubport=$2
    NETNS_FWD_CTL=$T/netlink_fwd.ctl
    NETNS_FWD_STATS=$T/netlink_fwd.stats
    echo "0 0" >"$NETNS_FWD_CTL"
    netns_write_forwarder "$T/netlink_fwd.py"
    rm -f "$T/netlink_fwd.ready"
    "$PY" "$T/netlink_fwd.py" "${NS_OF[$name]}" eth0 "$NETNS_HUB" "$hubport" \
        "$NETNS_FWD_CTL" "$NETNS_FWD_STATS" "$T/netlink_fwd.ready" \
        >>"$T/netlink_fwd.log" 2>&1 &
    NETNS_FWD_PID=$!
    LIB_ALL_PIDS+=" $!"
    disown "$!"
    WAIT_POLL=0.05 wait_until 10 test -e "$T/netlink_fwd.ready" ||
        lib_abort "the link forwarder did not start: $(tail -n 3 "$T/netlink_fwd.log")"
    HUBPORT_OF[$name]=$hubport
}

netns_write_forwarder() {
    cat >"$1" <<'EOF'
# netlink_fwd.py — a lossy, slow Ethernet link made of two TAP devices, for
# kernels without tc netem. Frames read on one side are dropped with
# probability LOSS% and otherwise written to the other side DELAY ms later
# (each direction independently). Control file: "LOSS_PCT DELAY_MS",
# re-read every 0.2 s. Counters go to the stats file every second.
import ctypes, fcntl, os, random, select, struct, sys, time
from collections import deque
ns_a, name_a, ns_b, name_b, ctl, stats, ready = sys.argv[1:8]
libc = ctypes.CDLL(None, use_errno=True)
def enter(ns):
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:   # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "setns " + ns)
    os.close(fd)
def tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", name.encode(), 0x0002 | 0x1000))
    return fd
enter(ns_a); a = tap(name_a)
enter(ns_b); b = tap(name_b)
open(ready, "w").close()
ppid = os.getppid()
loss, delay = 0.0, 0.0
queue = {a: deque(), b: deque()}   # frames waiting to be written to that fd
other = {a: b, b: a}
n = {"forwarded": 0, "dropped": 0, "delayed": 0}
next_ctl = next_stats = 0.0
while True:
    now = time.monotonic()
    if now >= next_ctl:
        next_ctl = now + 0.2
        if os.getppid() != ppid:
            break
        try:
            l, d = open(ctl).read().split()[:2]
            loss, delay = float(l) / 100.0, float(d) / 1000.0
        except (OSError, ValueError):
            pass
    if now >= next_stats:
        next_stats = now + 1.0
        with open(stats + ".tmp", "w") as f:
            f.write("forwarded %(forwarded)d dropped %(dropped)d delayed %(delayed)d\n" % n)
        os.replace(stats + ".tmp", stats)
    due = [q[0][0] for q in queue.values() if q]
    timeout = min([next_ctl] + due) - now
    r, _, _ = select.select([a, b], [], [], max(timeout, 0))
    now = time.monotonic()
    for fd in r:
        try:
            frame = os.read(fd, 65536)
        except OSError:
            continue
        if loss > 0 and random.random() < loss:
            n["dropped"] += 1
        elif delay > 0:
            queue[other[fd]].append((now + delay, frame))
            n["delayed"] += 1
        else:
            try:
                os.write(other[fd], frame)
                n["forwarded"] += 1
            except OSError:
                pass
    for fd, q in queue.items():
        while q and (q[0][0] <= now or delay == 0):
            try:
                os.write(fd, q.popleft()[1])
                n["forwarded"] += 1
            except OSError:
                pass
EOF
}

# --- faults -------------------------------------------------------------------

netns_cut() {
    local name
    for name in "$@"; do
        ip -n "$NETNS_HUB" link set "${HUBPORT_OF[$name]}" master br1 ||
            lib_abort "cannot move $name's port"
    done
}

netns_heal() {
    local name
    for name in "${!NS_OF[@]}"; do
        ip -n "$NETNS_HUB" link set "${HUBPORT_OF[$name]}" master br0 2>/dev/null
        ip -n "${NS_OF[$name]}" neigh flush nud permanent 2>/dev/null
    done
    return 0
}

netns_oneway() {
    local from=$1 to
    shift
    for to in "$@"; do
        ip -n "${NS_OF[$from]}" neigh replace "${IP_OF[$to]}" lladdr "$NETNS_BOGUS_MAC" \
            dev eth0 nud permanent || lib_abort "one-way cut $from -> $to"
    done
}

netns_impair() {
    local name=$1 loss=$2 delay=$3 ns=${NS_OF[$1]}
    if [[ $NETNS_NETEM == 1 ]]; then
        local dev
        for dev in "$ns:eth0" "$NETNS_HUB:${HUBPORT_OF[$name]}"; do
            if [[ $loss == 0 && $delay == 0 ]]; then
                ip netns exec "${dev%%:*}" tc qdisc del dev "${dev#*:}" root 2>/dev/null
            else
                ip netns exec "${dev%%:*}" tc qdisc replace dev "${dev#*:}" root netem \
                    loss "$loss%" delay "${delay}ms" || lib_abort "netem on $dev"
            fi
        done
    else
        [[ $name == "$NETNS_LOSSY" ]] || lib_abort "no lossy link for $name (set NETNS_LOSSY)"
        echo "$loss $delay" >"$NETNS_FWD_CTL"
        sleep 0.5   # the forwarder re-reads it every 0.2 s
    fi
}

# netns_link_stats — the forwarder's counters (empty with netem).
netns_link_stats() {
    if [[ $NETNS_NETEM == 1 ]]; then
        ip netns exec "${NS_OF[$NETNS_LOSSY]}" tc -s qdisc show dev eth0 2>/dev/null |
            grep -Eo 'dropped [0-9]+' | head -n 1
    else
        cat "$NETNS_FWD_STATS" 2>/dev/null
    fi
}

# --- nodes --------------------------------------------------------------------

# ns_start_node NAME DATA [sadasyad args...] — like start_node, in NAME's
# namespace, listening on tcp://IP:NS_PORT.
ns_start_node() {
    local name=$1 data=$2
    shift 2
    local NODE_WRAP=(ip netns exec "${NS_OF[$name]}")
    node_launch "$name" "$data" "$NS_PORT" "$(ns_endpoint "$name")" "$@"
}

ns_restart_node() {
    local name=$1 args=()
    node_saved_args "$name"
    ns_start_node "$name" "${NODE_DATA[$name]}" "${args[@]}"
}

ns_endpoint() { echo "tcp://${IP_OF[$1]}:$NS_PORT"; }

# --- tear-down ----------------------------------------------------------------

netns_teardown() {
    local ns
    stop_all_nodes
    if [[ -n $NETNS_FWD_PID ]] && pid_alive "$NETNS_FWD_PID"; then
        kill -TERM "$NETNS_FWD_PID" 2>/dev/null
        local i
        for i in 1 2 3 4 5 6 7 8 9 10; do pid_alive "$NETNS_FWD_PID" || break; sleep 0.1; done
        pid_alive "$NETNS_FWD_PID" && kill -KILL "$NETNS_FWD_PID" 2>/dev/null
    fi
    for ns in $NETNS_MADE; do
        ip netns del "$ns" 2>/dev/null
    done
    NETNS_MADE=""
}

netns_exit() {
    local rc=$?
    trap - EXIT
    netns_teardown
    # The namespaces are gone: say so if one of ours is still listed.
    if ip netns list 2>/dev/null | grep -q "^$NETNS_P-"; then
        echo "WARNING: namespaces $NETNS_P-* still listed" >&8
    fi
    (exit "$rc")
    lib_cleanup
}
