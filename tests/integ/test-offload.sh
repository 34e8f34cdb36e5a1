#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xviod's software segmentation and checksum completion (user/offload.c)
# against the kernel's own: tests/tools/gso-check sends random frames with a
# virtio-net header (GSO TCPv4/v6, VLAN, TCP options, FIN/PSH/CWR, ECN, any
# MSS; UDP/TCP checksum only) through an AF_PACKET socket into a veth whose
# TSO and TX checksumming are off, so the kernel segments and checksums them
# in software, and compares what arrives on the peer byte for byte with what
# off_resolve() makes of the same frames.
#   gso_identical_seed_N   2000 frames each, identical to the kernel's
set -u
O=$(cd "${1:?build dir}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=integ/offload
. "$ROOT/tests/lib/suite.sh"
TMP=$(mktemp -d)
topo_init xo
NS=${TOPO_ID}-gso A=${TOPO_ID}a B=${TOPO_ID}b
trap 'topo_cleanup; rm -rf "$TMP"' EXIT

[ "$(id -u)" = 0 ] || { prereq_missing all "needs root (network namespaces)"; exit 0; }
command -v ethtool >/dev/null || { prereq_missing all "ethtool not installed (scripts/deps.sh)"; exit 0; }
[ -x "$O/tests/tools/gso-check" ] || { prereq_missing all "tests/tools/gso-check not built (make)"; exit 0; }

topo_ns "$NS" || { fail setup "cannot create namespace $NS"; exit 0; }
ip -n "$NS" link add "$A" mtu 9000 type veth peer name "$B" mtu 9000 &&
	ip -n "$NS" link set "$A" up && ip -n "$NS" link set "$B" up ||
	{ fail setup "cannot create the veth pair in $NS"; exit 0; }
# The kernel segments in software only for a device without TSO, and
# completes checksums only without TX checksumming.
if ! ip netns exec "$NS" ethtool -K "$A" tx off tso off gso on >"$TMP/ethtool.out" 2>&1; then
	fail setup "ethtool -K $A tx off tso off: $(cat "$TMP/ethtool.out")"
	exit 0
fi
for seed in 1 2 3; do
	if ip netns exec "$NS" "$O/tests/tools/gso-check" "$A" "$B" 2000 "$seed" >"$TMP/out" 2>&1; then
		pass gso_identical_seed_$seed
		note "seed $seed: $(tail -1 "$TMP/out")"
	else
		fail gso_identical_seed_$seed "$(tail -3 "$TMP/out" | tr '\n' ' ')"
	fi
done
