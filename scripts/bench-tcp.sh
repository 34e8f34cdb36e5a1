#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, TCP part: what the checksum and segmentation offloads buy
# Linux guests. Two guests (scripts/guest.sh: QEMU, TCG on this machine) on
# one xviod with a veth NIC; each transfer is one TCP connection (busybox
# httpd -> wget into /dev/null) of BENCH_TCP_MB MiB, timed inside the
# receiving guest (tget) or around the wire's wget, with each guest's busy
# CPU time (/proc/stat) meanwhile. Run twice: guests started with the offloads
# (QEMU's defaults: CSUM, GUEST_CSUM, TSO4/6, ECN) and without
# (csum=off,guest_csum=off: every other offload depends on these).
#   guest -> guest   vm1 fetches from vm0
#   guest -> wire    the wire namespace fetches from vm0
#   wire -> guest    vm0 fetches from the wire namespace
#   guest-loopback   vm0 fetches from itself (127.0.0.1): no device at all,
#                    the ceiling of what one guest's TCP stack moves here
#                    (its "off" row is the same guest: the ratio is ~1)
# What saturates: under TCG the guests' virtual CPUs (each a QEMU thread),
# not xviod; the figures say what a guest pays per byte, which is what the
# offloads change. Under KVM the ratios would be smaller.
# BENCH_TCP_NET_OPTS: more virtio-net-pci properties for both runs (e.g.
# rx_queue_size=1024,tx_queue_size=1024).
# Output: $O/bench/tcp.md and $O/bench/tcp.jsonl; the table on stdout.
#   scripts/bench-tcp.sh BUILD_DIR
set -u
O=$(cd "${1:?build dir}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d)
. "$ROOT/scripts/topo.sh"
GUEST_BUILD=$O GUEST_DIR=$TMP
. "$ROOT/scripts/guest.sh"
. "$ROOT/tests/lib/xviod.sh"
MB=${BENCH_TCP_MB:-128} TRIALS=${BENCH_TCP_TRIALS:-3}
GMEM=$((MB * 2 + 256)) # the guest serves the file from its RAM (initramfs)
OUT="$O/bench"
mkdir -p "$OUT"
topo_init bt
H=${TOPO_ID}h NS=${TOPO_ID}-wire PEER=${TOPO_ID}p
PEER_IP=198.18.96.1 VM0_IP=198.18.96.10 VM1_IP=198.18.96.11
MAC0=52:54:00:00:96:10 MAC1=52:54:00:00:96:11
trap 'set +u; for g in "${!GUEST_PID[@]}"; do guest_kill "$g"; done; xviod_stop; topo_cleanup; rm -rf "$TMP"' EXIT
trap '' PIPE

say() { echo "bench-tcp: $*"; }
bash "$ROOT/scripts/guest-build.sh" "$O" >"$TMP/build.log" 2>&1 ||
	{ say "cannot build the guest: $(tail -2 "$TMP/build.log")"; exit 1; }
guest_accel || { say "$GUEST_ACCEL_WHY"; exit 1; }
topo_pair "$H" "$NS" "$PEER" "" "$PEER_IP/24" || { say "cannot make the veth pair"; exit 1; }
ip netns exec "$NS" ethtool -K "$PEER" tx off >/dev/null 2>&1
mkdir -p "$TMP/www"
head -c $((MB << 20)) /dev/zero >"$TMP/www/big"
ip netns exec "$NS" busybox httpd -f -p 8081 -h "$TMP/www" &
topo_track_pid $!
xviod_start --nic "$H${BENCH_TCP_NIC_OPTS:+,$BENCH_TCP_NIC_OPTS}" --cores 0 --vhost "$TMP/vm0.sock,mac=$MAC0" --vhost "$TMP/vm1.sock,mac=$MAC1" ||
	exit 1

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }
# busy GUEST: its busy jiffies so far in BUSY (not in $(...): guest_run
# counts its commands in this shell)
busy() {
	BUSY=""
	guest_run "$1" cpubusy 20 && BUSY=$(echo "$GUEST_OUT" | grep -o 'cpubusy=[0-9]*' | tail -1 | cut -d= -f2)
}
# Host CPU time (USER_HZ ticks, all threads) of xviod and the two QEMUs:
# what saturates the rig. HOSTCPU="xviod qemu0 qemu1".
hostcpu() {
	local p out=""
	for p in "$XPID" "${GUEST_PID[vm0]}" "${GUEST_PID[vm1]}"; do
		out="$out $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)"
	done
	HOSTCPU=$out
}
# row DIR MODE BYTES MS SENDER_JIFFIES RECEIVER_JIFFIES (host CPU: H0, now)
row() {
	local gbit sgb rgb h1 hx h0q h1q
	hostcpu
	h1=$HOSTCPU
	read -r hx h0q h1q < <(paste -d' ' <(echo "$H0" | tr ' ' '\n' | sed '/^$/d') \
		<(echo "$h1" | tr ' ' '\n' | sed '/^$/d') | awk -v ms="$4" '{ printf "%.0f ", ($2 - $1) * 10 * 100 / ms }')
	gbit=$(awk -v b="$3" -v ms="$4" 'BEGIN { printf "%.3f", ms ? b * 8 / ms / 1e6 : 0 }')
	sgb=$(awk -v b="$3" -v j="$5" 'BEGIN { printf "%.1f", j == "" ? -1 : j / 100 / (b / 1e9) }')
	rgb=$(awk -v b="$3" -v j="$6" 'BEGIN { printf "%.1f", j == "" ? -1 : j / 100 / (b / 1e9) }')
	printf '{"dir":"%s","offloads":"%s","bytes":%s,"ms":%s,"gbit":%s,"sender_cpu_s_per_gb":%s,"receiver_cpu_s_per_gb":%s,"host_cpu_pct":{"xviod":%s,"qemu_vm0":%s,"qemu_vm1":%s}}\n' \
		"$1" "$2" "$3" "$4" "$gbit" "$sgb" "$rgb" "$hx" "$h0q" "$h1q" >>"$OUT/tcp.jsonl"
	say "$1 offloads $2: $gbit Gbit/s, guest CPU s/GB: sender $sgb receiver $rgb; host CPU % (about; includes the console round trips): xviod $hx, QEMU vm0 $h0q, vm1 $h1q"
}
# tget in guest $1 from $2; sets B MS J (the fetching guest's busy jiffies)
fetch() {
	guest_run "$1" "tget $2" 300 || return 1
	local l
	l=$(echo "$GUEST_OUT" | grep -o 'tget rc=[0-9]* ms=[0-9]* busy=[0-9]*' | tail -1)
	B=$((MB << 20)) MS=$(field "$l" ms) J=$(field "$l" busy)
	[ "$(field "$l" rc)" = 0 ]
}

: >"$OUT/tcp.jsonl"
for mode in on off; do
	opts=${BENCH_TCP_NET_OPTS:-}
	[ "$mode" = off ] && opts="csum=off,guest_csum=off${opts:+,$opts}"
	for g in vm0 vm1; do
		ip=$VM0_IP mac=$MAC0
		[ "$g" = vm1 ] && ip=$VM1_IP mac=$MAC1
		GUEST_NET_OPTS=$opts guest_start "$g" "$TMP/$g.sock" "$mac" "$ip/24" server "$GMEM" >"$TMP/boot.out" ||
			{ say "$(cat "$TMP/boot.out")"; exit 1; }
	done
	wait_for 20 port_running vm0.sock && wait_for 20 port_running vm1.sock ||
		{ say "ports not running"; exit 1; }
	guest_run vm0 "mkdir -p /www && head -c $((MB << 20)) /dev/zero >/www/big && httpd -p 8080 -h /www" 120
	guest_run vm1 "ping -c 1 -W 5 $VM0_IP" 20 >/dev/null
	gso0=$(xstat vm0.sock sw_gso)
	for t in $(seq "$TRIALS"); do
		# guest -> guest
		busy vm0; s0=$BUSY; hostcpu; H0=$HOSTCPU
		if fetch vm1 "http://$VM0_IP:8080/big"; then
			busy vm0; s1=$BUSY
			row guest-guest "$mode" "$B" "$MS" "$((s1 - s0))" "$J"
		else
			say "guest -> guest failed: $GUEST_OUT"
		fi
		# guest -> wire, timed on the host
		busy vm0; s0=$BUSY; hostcpu; H0=$HOSTCPU
		t0=$(date +%s%N)
		n=$(ip netns exec "$NS" busybox wget -q -O - "http://$VM0_IP:8080/big" | wc -c) # the host has CPU to spare
		t1=$(date +%s%N)
		busy vm0; s1=$BUSY
		if [ "$n" = $((MB << 20)) ]; then
			row guest-wire "$mode" "$n" $(((t1 - t0) / 1000000)) "$((s1 - s0))" ""
		else
			say "guest -> wire: got $n bytes"
		fi
		# wire -> guest
		hostcpu; H0=$HOSTCPU
		if fetch vm0 "http://$PEER_IP:8081/big"; then
			row wire-guest "$mode" "$B" "$MS" "" "$J"
		else
			say "wire -> guest failed: $GUEST_OUT"
		fi
		# One guest to itself over loopback (no device, 64 KiB frames, no
		# checksums): what a guest's TCP stack and copies cost here, the
		# ceiling any backend's guest -> guest figure is held under.
		hostcpu; H0=$HOSTCPU
		if fetch vm0 "http://127.0.0.1:8080/big"; then
			row guest-loopback "$mode" "$B" "$MS" "" "$J"
		fi
	done
	say "offloads $mode: vm0 frames segmented in software: $(($(xstat vm0.sock sw_gso) - gso0)), bad: $(xstat vm0.sock drop_bad_offload)"
	guest_kill vm0
	guest_kill vm1
done
python3 - "$OUT/tcp.jsonl" "$MB" "$GUEST_ACCEL" >"$OUT/tcp.md" <<'PY'
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1])]
def med(d, o, k):
    v = [r[k] for r in rows if r["dir"] == d and r["offloads"] == o and r[k] >= 0]
    return statistics.median(v) if v else None
print(f"TCP, one connection, {sys.argv[2]} MiB per transfer, guests under {sys.argv[3]}; medians\n")
print("| direction | Gbit/s off | Gbit/s on | ratio | sender CPU s/GB off | on | receiver CPU s/GB off | on |")
print("|---|---|---|---|---|---|---|---|")
f = lambda x, p="%.3f": "-" if x is None else p % x
for d in ("guest-guest", "guest-wire", "wire-guest", "guest-loopback"):
    off, on = med(d, "off", "gbit"), med(d, "on", "gbit")
    ratio = on / off if off and on else None
    print(f"| {d} | {f(off)} | {f(on)} | {f(ratio, '%.2f')} | "
          f"{f(med(d, 'off', 'sender_cpu_s_per_gb'), '%.1f')} | {f(med(d, 'on', 'sender_cpu_s_per_gb'), '%.1f')} | "
          f"{f(med(d, 'off', 'receiver_cpu_s_per_gb'), '%.1f')} | {f(med(d, 'on', 'receiver_cpu_s_per_gb'), '%.1f')} |")
PY
cat "$OUT/tcp.md"
