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
xviod_start --nic "$H" --vhost "$VHOST0,mac=$MAC0" || { fail setup xviod; exit 1; }

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
t0=$SECONDS
if ! GUEST_NET_OPTS="host_mtu=9000" guest_start vm0 "$VHOST0" "$MAC0" "$VM0_IP/24" server \
	>"$TMP/boot.out"; then
	fail boot "$(cat "$TMP/boot.out")"
	exit 0
fi
timing boot_vm0 $((SECONDS - t0))
wait_for 20 port_running vm0.sock || fail boot "vm0's port never ran: $("$XC" --ctl "$CTL" ports)"

if guest_run vm0 "cat /sys/class/net/eth0/mtu" 20 && [ "$(echo "$GUEST_OUT" | tail -1)" = 9000 ] &&
	[ "$(xport vm0.sock mtu)" = 9000 ]; then
	pass guest_mtu
else
	fail guest_mtu "guest eth0 MTU: ${GUEST_OUT:-?}; xviod's port: mtu $(xport vm0.sock mtu)"
fi

# ---- ping, 8972 bytes of payload: 9000-byte IPv4 packets ------------------------------
reasm() { # NS: the IPv4 reassemblies its stack has started
	ip netns exec "$1" cat /proc/net/snmp |
		awk '/^Ip: [A-Z]/ { for (i = 2; i <= NF; i++) if ($i == "ReasmReqds") c = i }
		     /^Ip: [0-9]/ { print $c }'
}
t0=$SECONDS
if ip netns exec "$NS" ping -M do -s 8972 -c 3 -i 0.3 -W 5 "$VM0_IP" >"$TMP/ping.out" 2>&1; then
	pass ping_jumbo_to_guest
else
	fail ping_jumbo_to_guest "$(tail -3 "$TMP/ping.out")"
fi
r0=$(reasm "$NS")
if ! guest_run vm0 "ping -c 3 -s 8972 -W 5 $PEER_IP" 40; then
	fail ping_jumbo_from_guest "$GUEST_OUT"
elif [ "$(reasm "$NS")" != "$r0" ]; then
	fail ping_jumbo_from_guest "the peer reassembled fragments ($r0 -> $(reasm "$NS")): the echoes did not arrive whole"
else
	pass ping_jumbo_from_guest
fi
timing ping $((SECONDS - t0))
rxm=$("$XC" --ctl "$CTL" --json stats | grep -o '"rx_multi_buffer":[0-9]*' | head -1 | cut -d: -f2)
txm=$("$XC" --ctl "$CTL" --json stats | grep -o '"tx_multi_buffer":[0-9]*' | head -1 | cut -d: -f2)
if [ "${rxm:-0}" -ge 3 ] && [ "${txm:-0}" -ge 3 ]; then
	pass multi_buffer
	note "after the pings: $rxm packets came in, $txm went out, in several UMEM frames"
else
	fail multi_buffer "rx_multi_buffer ${rxm:-?}, tx_multi_buffer ${txm:-?}: want 3 each way at least"
fi

# ---- TCP, 4 MiB each way with 9000-byte segments --------------------------------------
t0=$SECONDS
mkdir -p "$TMP/www"
head -c $((4 << 20)) /dev/urandom >"$TMP/www/blob"
want=$(md5sum <"$TMP/www/blob" | cut -c1-32)
ip netns exec "$NS" busybox httpd -f -p 8081 -h "$TMP/www" &
topo_track_pid $!
rx0=$rxm
if ! wait_for 10 ip netns exec "$NS" busybox wget -q -O /dev/null "http://127.0.0.1:8081/blob"; then
	fail tcp_jumbo_to_guest "busybox httpd did not serve in the wire namespace"
elif guest_run vm0 "wget -O /tmp/rx http://$PEER_IP:8081/blob 2>&1 | tail -2; md5sum /tmp/rx" 120 &&
	echo "$GUEST_OUT" | grep -q "$want"; then
	rxm=$("$XC" --ctl "$CTL" --json stats | grep -o '"rx_multi_buffer":[0-9]*' | head -1 | cut -d: -f2)
	if [ $((rxm - rx0)) -ge 400 ]; then # 4 MiB / 8960 = 469 segments
		pass tcp_jumbo_to_guest
		note "tcp_jumbo_to_guest: $((rxm - rx0)) multi-buffer frames from the wire"
	else
		fail tcp_jumbo_to_guest "md5 right, but only $((rxm - rx0)) multi-buffer frames came in: not jumbo"
	fi
else
	fail tcp_jumbo_to_guest "want md5 $want, guest has: $GUEST_OUT"
fi
timing tcp_jumbo_to_guest $((SECONDS - t0))

t0=$SECONDS
tx0=$("$XC" --ctl "$CTL" --json stats | grep -o '"tx_multi_buffer":[0-9]*' | head -1 | cut -d: -f2)
guest_run vm0 "mkdir -p /www && head -c $((4 << 20)) /dev/urandom > /www/tx && md5sum /www/tx && httpd -p 8080 -h /www" 60
gmd5=$(echo "$GUEST_OUT" | grep -o '^[0-9a-f]\{32\}' | head -1)
rm -f "$TMP/rx"
timeout 120 ip netns exec "$NS" busybox wget -q -O "$TMP/rx" "http://$VM0_IP:8080/tx"
got=$(md5sum <"$TMP/rx" 2>/dev/null | cut -c1-32)
txm=$("$XC" --ctl "$CTL" --json stats | grep -o '"tx_multi_buffer":[0-9]*' | head -1 | cut -d: -f2)
if [ -z "$gmd5" ] || [ "$got" != "$gmd5" ] || [ "$(stat -c %s "$TMP/rx" 2>/dev/null)" != $((4 << 20)) ]; then
	fail tcp_jumbo_from_guest "guest md5 ${gmd5:-?}, peer got ${got:-nothing} ($(stat -c %s "$TMP/rx" 2>/dev/null) bytes)"
elif [ $((txm - tx0)) -lt 400 ]; then
	fail tcp_jumbo_from_guest "md5 right, but only $((txm - tx0)) multi-buffer frames went out: not jumbo"
else
	pass tcp_jumbo_from_guest
	note "tcp_jumbo_from_guest: $((txm - tx0)) multi-buffer frames to the wire"
fi
timing tcp_jumbo_from_guest $((SECONDS - t0))

# ---- frames larger than the wire's MTU --------------------------------------------------
big0=$("$XC" --ctl "$CTL" --json stats | grep -o '"tx_too_big":[0-9]*' | head -1 | cut -d: -f2)
ip link set "$H" mtu 1500
if ! wait_for 5 mf_is 1518; then
	fail oversize_counted "after MTU 1500 max_frame is $(nic_mf)"
elif guest_run vm0 "ping -c 2 -s 8972 -W 2 $PEER_IP" 30; then
	fail oversize_counted "a 9014-byte frame reached a wire at MTU 1500: $GUEST_OUT"
else
	big=$("$XC" --ctl "$CTL" --json stats | grep -o '"tx_too_big":[0-9]*' | head -1 | cut -d: -f2)
	if [ $((big - big0)) -ge 2 ]; then
		pass oversize_counted
	else
		fail oversize_counted "tx_too_big ${big0:-?} -> ${big:-?}: want 2 more"
	fi
fi
