#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The AF_XDP library's multi-buffer paths (afxdp/afxdp.c) on a real veth at
# MTU 9000 with xvio's program attached (tests/tools/afxdp-check): a packet
# peeked whole and never in part, packets given back and seen again with the
# counters counting them once, the UMEM accounted for, a chained jumbo frame
# sent whole, and a TX ring that takes a packet whole or not at all.
set -u
O=$(cd "${1:?build dir}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=integ/afxdp
. "$ROOT/tests/lib/suite.sh"
TMP=$(mktemp -d)
topo_init xa
H=${TOPO_ID}h NS=${TOPO_ID}-wire PEER=${TOPO_ID}p
MAC=02:00:00:00:77:02
L="$O/xvio-loader"
trap '"$L" detach "$H" >/dev/null 2>&1; topo_cleanup; rm -rf "$TMP"' EXIT

[ "$(id -u)" = 0 ] || { prereq_missing all "needs root (network namespaces, XDP)"; exit 0; }
[ -x "$O/tests/tools/afxdp-check" ] || { prereq_missing all "tests/tools/afxdp-check not built (make)"; exit 0; }

if ! topo_pair "$H" "$NS" "$PEER" 198.18.13.1/24 198.18.13.2/24 >"$TMP/setup.out" 2>&1 ||
	! ip link set "$H" mtu 9000 || ! ip -n "$NS" link set "$PEER" mtu 9000; then
	fail setup "$(cat "$TMP/setup.out")"
	exit 0
fi
if ! "$L" attach "$H" --mode native >"$TMP/attach.out" 2>&1 || ! "$L" l2 add "$H" "$MAC" port 1 >>"$TMP/attach.out" 2>&1; then
	fail setup "xvio-loader: $(tail -2 "$TMP/attach.out")"
	exit 0
fi
# The attach sets the veth's XDP path up, and frames sent in that moment
# can be lost (test-xdp.sh, two_queues): one ping through it first.
wait_for 10 ip netns exec "$NS" ping -c 1 -W 1 198.18.13.1 >/dev/null ||
	{ fail setup "no ping through the program within 10 s of the attach"; exit 0; }
"$O/tests/tools/afxdp-check" "$H" "$NS" "$PEER" "$MAC" >"$TMP/out" 2>&1
cat "$TMP/out"
exit 0
