#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: xvio's XDP datapath on a veth whose far end stands in for the
# wire (a namespace). Attaches xvio, shows that the host's own traffic is
# untouched, steers a guest MAC into an AF_XDP socket, drops a flow, prints
# the counters and the maps as bpftool shows them, then tears it all down
# (also on Ctrl-C).
set -u
O=$(cd "${1:-build}" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/topo.sh"
L="$O/xvio-loader"
P="$O/tests/tools/xvio-pkt"
TMP=$(mktemp -d)

topo_init xd
NIC=${TOPO_ID}n NS=${TOPO_ID}-wire PEER=${TOPO_ID}w
HOST_IP=198.18.50.1 PEER_IP=198.18.50.2 GUEST_MAC=02:00:00:00:50:01
trap 'echo; step "tearing down"; "$L" detach "$NIC" >/dev/null 2>&1; topo_cleanup; rm -rf "$TMP"; echo "done: no namespace, link or pin left behind"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "topology: $NIC ($HOST_IP, the 'NIC') <-> $PEER ($PEER_IP) in namespace $NS (the wire)"
topo_pair "$NIC" "$NS" "$PEER" "$HOST_IP/24" "$PEER_IP/24" || exit 1

step "attach xvio's XDP program"
run "$L" attach "$NIC" || exit 1
run "$L" status "$NIC"

step "the host's own traffic is untouched (miss path: XDP_PASS)"
run ip netns exec "$NS" ping -c 3 -i 0.2 "$HOST_IP"

step "steer guest MAC $GUEST_MAC to guest port 1 (an AF_XDP socket)"
run "$L" l2 add "$NIC" "$GUEST_MAC" port 1
"$P" recv-xsk "$NIC" --port 1 --count 1000 --timeout 15 >"$TMP/rx" 2>&1 &
rx=$!
topo_track_pid "$rx"
wait_for 10 grep -q ready "$TMP/rx" || { cat "$TMP/rx"; exit 1; }
run ip netns exec "$NS" "$P" send "$PEER" --dst-mac "$GUEST_MAC" --src "$PEER_IP" \
	--dst "$HOST_IP" --count 1000 --rate 20000
wait "$rx"
echo "AF_XDP receiver: $(tail -1 "$TMP/rx")"

step "drop a flow: UDP $PEER_IP:9000 -> $HOST_IP:53"
run "$L" flow add "$NIC" proto udp src "$PEER_IP" sport 9000 dst "$HOST_IP" dport 53 drop
run ip netns exec "$NS" "$P" send "$PEER" --dst-mac "$(topo_mac "$NIC")" --src "$PEER_IP" \
	--dst "$HOST_IP" --dport 53 --count 200 --rate 20000
run "$L" flow list "$NIC"

step "counters (per-CPU, summed)"
run "$L" stats "$NIC"

step "the same maps through bpftool (BTF field names)"
run bpftool map dump pinned "/sys/fs/bpf/xvio/$NIC/xvio_l2"
