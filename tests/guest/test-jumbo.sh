#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Jumbo frames end to end: a Linux guest with MTU 9000 (QEMU host_mtu=9000,
# which QEMU hands xviod with NET_SET_MTU) and a wire at MTU 9000, through
# the XDP program (xdp.frags) and multi-buffer AF_XDP (XDP_USE_SG): a 9014-
# byte frame takes three UMEM frames each way.
#
#   mtu_followed         the NIC starts at MTU 1500 under xviod; raised to 9000
#                        (XDP attached), xviod follows it (max_frame 9018)
#   guest_mtu            the guest's eth0 has MTU 9000; xviod's port says 9000
#   ping_jumbo_to_guest  peer: ping -M do -s 8972 (don't fragment) to the guest
#   ping_jumbo_from_guest  guest: ping -s 8972 to the peer, which reassembled
#                        nothing (each echo came whole) and answered
#   multi_buffer         both ways xviod moved frames of several UMEM frames
#   tcp_jumbo_to_guest / tcp_jumbo_from_guest   4 MiB each way, md5 at both
#                        ends, with 9000-byte segments (MSS 8960)
#   oversize_counted     the wire's MTU lowered to 1500 under the guest's 9000:
#                        the guest's jumbo pings are dropped, counted (tx_too_big)
#   tx_csum              the guest's TCP segments went out with their checksum
#                        left to the kernel (AF_XDP TX metadata; at least 400)
#   tcp_jumbo_routed     the guest's file fetched by a host one hop behind the
#                        peer: the kernel computed those checksums on the way
#                        (a veth without TX checksum offload), the far end
#                        checked them (md5, no InCsumErrors)
#   *_chained            the guest again without mergeable receive buffers
#                        (mrg_rxbuf=off): jumbo frames in chained descriptors,
#                        and xviod with tx_csum=off (checksums computed by it:
#                        tx_csum_chained wants no frame sent with metadata)
set -u
O=$(cd "${1:?build dir}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=guest
. "$ROOT/tests/lib/suite.sh"
GUEST_BUILD=$O
. "$ROOT/scripts/guest.sh"
TMP=$(mktemp -d)
. "$ROOT/tests/lib/xviod.sh"
GUEST_DIR=$TMP
topo_init xj
H=${TOPO_ID}h NS=${TOPO_ID}-wire PEER=${TOPO_ID}p
PEER_IP=198.18.91.2 VM0_IP=198.18.91.10
MAC0=52:54:00:00:91:10
trap 'set +u; xviod_stop; topo_cleanup; rm -rf "$TMP"' EXIT

for t in qemu-system-x86_64 busybox ping; do
	command -v "$t" >/dev/null || { prereq_missing all "$t not installed (scripts/deps.sh guest)"; exit 0; }
done
if ! bash "$ROOT/scripts/guest-build.sh" "$O" >"$TMP/build.log" 2>&1; then
	prereq_missing all "cannot build the guest image: $(tail -2 "$TMP/build.log")"
	exit 0
fi

topo_pair "$H" "$NS" "$PEER" "" "$PEER_IP/24" || { fail setup topology; exit 1; }
# Full checksums from the peer, as in test-guest.sh (its tcp_partial_csum
# covers the other case).
ip netns exec "$NS" ethtool -K "$PEER" tx off >/dev/null 2>&1 ||
	{ fail setup "cannot turn off tx checksum offload on the veth (ethtool)"; exit 1; }
VHOST0="$TMP/vm0.sock"
TX_CSUM=on
xviod_start --nic "$H" --vhost "$VHOST0,mac=$MAC0" || { fail setup xviod; exit 1; }
# A host one hop behind the peer, for tcp_jumbo_routed: the peer's stack
# trusts a frame whose checksum is left to do (CHECKSUM_PARTIAL, as xviod
# sends them with tx_csum=on) and never computes it, but routed on through
# a veth without TX checksum offload the kernel computes it from what
# xviod asked for, and the far end checks it, as a NIC and the wire would.
FAR=${TOPO_ID}-far FAR_IP=198.18.92.2 HOP_IP=198.18.92.1
if ! { topo_ns "$FAR" &&
	ip -n "$NS" link add "${TOPO_ID}r" mtu 9000 type veth peer name "${TOPO_ID}f" mtu 9000 netns "$FAR" &&
	ip -n "$NS" addr add "$HOP_IP/24" dev "${TOPO_ID}r" && ip -n "$NS" link set "${TOPO_ID}r" up &&
	ip -n "$FAR" addr add "$FAR_IP/24" dev "${TOPO_ID}f" && ip -n "$FAR" link set "${TOPO_ID}f" up &&
	ip -n "$FAR" route add default via "$HOP_IP" &&
	ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=1 &&
	ip netns exec "$NS" ethtool -K "${TOPO_ID}r" tx off >/dev/null; }; then
	fail setup "cannot set up the routed far end"
	exit 1
fi

# ---- the NIC's MTU, followed ---------------------------------------------------------
nic_mf() { xport "$H" max_frame; }
mf_is() { [ "$(nic_mf)" = "$1" ]; }
if ! wait_for 5 mf_is 1518; then
	fail mtu_followed "at MTU 1500 max_frame is $(nic_mf), want 1518"
elif ! err=$(ip link set "$H" mtu 9000 2>&1); then
	fail mtu_followed "MTU 9000 refused with xvio's XDP program attached: $err"
elif ! wait_for 5 mf_is 9018; then
	fail mtu_followed "after MTU 9000 max_frame is $(nic_mf), want 9018"
elif [ "$(xport "$H" multi_buffer)" != true ]; then
	fail mtu_followed "the AF_XDP sockets are not multi-buffer: $("$XC" --ctl "$CTL" ports)"
else
	pass mtu_followed
fi
ip netns exec "$NS" ip link set "$PEER" mtu 9000

guest_accel || { fail accel "$GUEST_ACCEL_WHY"; exit 0; }
note "accel: $GUEST_ACCEL_WHY"
mkdir -p "$TMP/www"
head -c $((4 << 20)) /dev/urandom >"$TMP/www/blob"
want=$(md5sum <"$TMP/www/blob" | cut -c1-32)
ip netns exec "$NS" busybox httpd -f -p 8081 -h "$TMP/www" &
topo_track_pid $!
wait_for 10 ip netns exec "$NS" busybox wget -q -O /dev/null "http://127.0.0.1:8081/blob" ||
	fail setup "busybox httpd did not serve in the wire namespace"

reasm() { # NS: the IPv4 reassemblies its stack has started
	ip netns exec "$1" cat /proc/net/snmp |
		awk '/^Ip: [A-Z]/ { for (i = 2; i <= NF; i++) if ($i == "ReasmReqds") c = i }
		     /^Ip: [0-9]/ { print $c }'
}
tcp_csum_errors() { # NS: TCP segments its stack dropped for a bad checksum
	ip netns exec "$1" cat /proc/net/snmp |
		awk '/^Tcp: [A-Z]/ { for (i = 2; i <= NF; i++) if ($i == "InCsumErrors") c = i }
		     /^Tcp: [0-9]/ { print $c }'
}
nstat() { # FIELD: the NIC queue's counter
	"$XC" --ctl "$CTL" --json stats | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2
}

# boot_guest SUFFIX OPTS: vm0 with MTU 9000 and virtio-net-pci OPTS
boot_guest() {
	local t0=$SECONDS
	if ! GUEST_NET_OPTS="host_mtu=9000${2:+,$2}" guest_start vm0 "$VHOST0" "$MAC0" "$VM0_IP/24" \
		server >"$TMP/boot.out"; then
		fail "boot$1" "$(cat "$TMP/boot.out")"
		return 1
	fi
	timing "boot_vm0$1" $((SECONDS - t0))
	wait_for 20 port_running vm0.sock || fail "boot$1" "vm0's port never ran: $("$XC" --ctl "$CTL" ports)"
	if guest_run vm0 "cat /sys/class/net/eth0/mtu" 20 && [ "$(echo "$GUEST_OUT" | tail -1)" = 9000 ] &&
		[ "$(xport vm0.sock mtu)" = 9000 ]; then
		pass "guest_mtu$1"
	else
		fail "guest_mtu$1" "guest eth0 MTU: ${GUEST_OUT:-?}; xviod's port: mtu $(xport vm0.sock mtu)"
	fi
}

# jumbo_traffic SUFFIX: pings of 9000-byte packets and 4 MiB of TCP each way
jumbo_traffic() {
	local sfx=$1 t0=$SECONDS r0 rx0 tx0 rxm txm gmd5 got
	rx0=$(nstat rx_multi_buffer) tx0=$(nstat tx_multi_buffer)
	if ip netns exec "$NS" ping -M do -s 8972 -c 3 -i 0.3 -W 5 "$VM0_IP" >"$TMP/ping.out" 2>&1; then
		pass "ping_jumbo_to_guest$sfx"
	else
		fail "ping_jumbo_to_guest$sfx" "$(tail -3 "$TMP/ping.out")"
	fi
	r0=$(reasm "$NS")
	if ! guest_run vm0 "ping -c 3 -s 8972 -W 5 $PEER_IP" 40; then
		fail "ping_jumbo_from_guest$sfx" "$GUEST_OUT"
	elif [ "$(reasm "$NS")" != "$r0" ]; then
		fail "ping_jumbo_from_guest$sfx" "the peer reassembled fragments ($r0 -> $(reasm "$NS")): the echoes did not arrive whole"
	else
		pass "ping_jumbo_from_guest$sfx"
	fi
	timing "ping$sfx" $((SECONDS - t0))
	rxm=$(nstat rx_multi_buffer) txm=$(nstat tx_multi_buffer)
	if [ $((rxm - rx0)) -ge 3 ] && [ $((txm - tx0)) -ge 3 ]; then
		pass "multi_buffer$sfx"
		note "pings$sfx: $((rxm - rx0)) packets came in, $((txm - tx0)) went out, in several UMEM frames"
	else
		fail "multi_buffer$sfx" "rx_multi_buffer +$((rxm - rx0)), tx_multi_buffer +$((txm - tx0)): want 3 each way at least"
	fi

	t0=$SECONDS rx0=$(nstat rx_multi_buffer)
	if guest_run vm0 "wget -O /tmp/rx http://$PEER_IP:8081/blob 2>&1 | tail -2; md5sum /tmp/rx; rm /tmp/rx" 120 &&
		echo "$GUEST_OUT" | grep -q "$want"; then
		rxm=$(nstat rx_multi_buffer)
		if [ $((rxm - rx0)) -ge 400 ]; then # 4 MiB / 8960 = 469 segments
			pass "tcp_jumbo_to_guest$sfx"
			note "tcp_jumbo_to_guest$sfx: $((rxm - rx0)) multi-buffer frames from the wire"
		else
			fail "tcp_jumbo_to_guest$sfx" "md5 right, but only $((rxm - rx0)) multi-buffer frames came in: not jumbo"
		fi
	else
		fail "tcp_jumbo_to_guest$sfx" "want md5 $want, guest has: $GUEST_OUT"
	fi
	timing "tcp_jumbo_to_guest$sfx" $((SECONDS - t0))

	t0=$SECONDS tx0=$(nstat tx_multi_buffer) cs0=$(nstat tx_csum_offloaded)
	guest_run vm0 "mkdir -p /www && head -c $((4 << 20)) /dev/urandom > /www/tx && md5sum /www/tx && (httpd -p 8080 -h /www || true)" 60
	gmd5=$(echo "$GUEST_OUT" | grep -o '^[0-9a-f]\{32\}' | head -1)
	rm -f "$TMP/rx"
	timeout 120 ip netns exec "$NS" busybox wget -q -O "$TMP/rx" "http://$VM0_IP:8080/tx"
	got=$(md5sum <"$TMP/rx" 2>/dev/null | cut -c1-32)
	txm=$(nstat tx_multi_buffer)
	if [ -z "$gmd5" ] || [ "$got" != "$gmd5" ] || [ "$(stat -c %s "$TMP/rx" 2>/dev/null)" != $((4 << 20)) ]; then
		fail "tcp_jumbo_from_guest$sfx" "guest md5 ${gmd5:-?}, peer got ${got:-nothing} ($(stat -c %s "$TMP/rx" 2>/dev/null) bytes)"
	elif [ $((txm - tx0)) -lt 400 ]; then
		fail "tcp_jumbo_from_guest$sfx" "md5 right, but only $((txm - tx0)) multi-buffer frames went out: not jumbo"
	else
		pass "tcp_jumbo_from_guest$sfx"
		note "tcp_jumbo_from_guest$sfx: $((txm - tx0)) multi-buffer frames to the wire, $(($(nstat tx_csum_offloaded) - cs0)) with their checksum left to the kernel"
	fi
	# The guest's TSO frames were cut in software; their checksums were
	# left to the kernel's transmit path (AF_XDP TX metadata), or computed
	# here with tx_csum=off.
	cs=$(($(nstat tx_csum_offloaded) - cs0))
	if [ "$TX_CSUM" = on ] && [ "$cs" -lt 400 ]; then
		fail "tx_csum$sfx" "tx_csum=on: only $cs frames went out with TX metadata asking for their checksum"
	elif [ "$TX_CSUM" = off ] && [ "$cs" -ne 0 ]; then
		fail "tx_csum$sfx" "tx_csum=off: $cs frames went out asking the kernel for their checksum"
	else
		pass "tx_csum$sfx"
	fi
	[ -n "$sfx" ] && return 0
	t0=$SECONDS
	ce0=$(tcp_csum_errors "$FAR")
	rm -f "$TMP/rx2"
	if ! guest_run vm0 "ip route add 198.18.92.0/24 via $PEER_IP" 20; then
		fail tcp_jumbo_routed "cannot add the guest's route: $GUEST_OUT"
		return 0
	fi
	timeout 120 ip netns exec "$FAR" busybox wget -q -O "$TMP/rx2" "http://$VM0_IP:8080/tx"
	got=$(md5sum <"$TMP/rx2" 2>/dev/null | cut -c1-32)
	if [ "$got" != "$gmd5" ] || [ "$(tcp_csum_errors "$FAR")" != "$ce0" ]; then
		fail tcp_jumbo_routed "guest md5 ${gmd5:-?}, far end got ${got:-nothing} ($(stat -c %s "$TMP/rx2" 2>/dev/null) bytes), its TCP checksum errors $ce0 -> $(tcp_csum_errors "$FAR")"
	else
		pass tcp_jumbo_routed
	fi
	timing tcp_jumbo_routed $((SECONDS - t0))
	timing "tcp_jumbo_from_guest$sfx" $((SECONDS - t0))
}

# Mergeable receive buffers (QEMU's default): a jumbo frame is spread over
# several of the guest's buffers.
boot_guest "" "" && jumbo_traffic ""

# ---- frames larger than the wire's MTU --------------------------------------------------
big0=$(nstat tx_too_big)
ip link set "$H" mtu 1500
if ! wait_for 5 mf_is 1518; then
	fail oversize_counted "after MTU 1500 max_frame is $(nic_mf)"
elif guest_run vm0 "ping -c 2 -s 8972 -W 2 $PEER_IP" 30; then
	fail oversize_counted "a 9014-byte frame reached a wire at MTU 1500: $GUEST_OUT"
else
	big=$(nstat tx_too_big)
	if [ $((big - big0)) -ge 2 ]; then
		pass oversize_counted
	else
		fail oversize_counted "tx_too_big ${big0:-?} -> ${big:-?}: want 2 more"
	fi
fi
ip link set "$H" mtu 9000

# Without mergeable buffers the guest posts chains of pages (Linux's "big
# packets"): one frame fills one chained descriptor list each way.
# And xviod computing the checksums itself (tx_csum=off).
guest_kill vm0
xviod_stop
TX_CSUM=off
xviod_start --nic "$H,tx_csum=off" --vhost "$VHOST0,mac=$MAC0" || { fail setup xviod; exit 1; }
wait_for 5 mf_is 9018 || fail mtu_followed "xviod restarted at MTU 9000: max_frame $(nic_mf)"
boot_guest _chained "mrg_rxbuf=off" && jumbo_traffic _chained
