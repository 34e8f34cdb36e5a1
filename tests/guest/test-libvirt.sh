#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# libvirt as it ships (Debian's libvirt-daemon-system; started by hand where
# systemd does not run it) with a domain defined from the project's own XML
# (dist/libvirt/xvio-guest.xml), QEMU running as libvirt's unprivileged user:
#
#   lv_start            virsh define + start; the port comes by xvioctl port
#                       add PATH,client (QEMU creates the socket, xviod
#                       connects), the guest boots
#   lv_ping             the wire pings the guest
#   lv_tcp              4 MiB from the wire to the guest over TCP, md5 checked
#   lv_attach           a second interface hot-plugged with virsh
#                       attach-device (dist/libvirt/xvio-interface.xml) on a
#                       port added at runtime: the wire reaches the guest
#                       through it
#   lv_destroy_clean    virsh destroy + undefine, xvioctl port del: no port,
#                       socket, domain or process left
set -u
O=$(cd "${1:?build dir}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=libvirt
. "$ROOT/tests/lib/suite.sh"
GUEST_BUILD=$O
. "$ROOT/scripts/guest.sh"
. "$ROOT/scripts/libvirt.sh"
TMP=$(mktemp -d)
. "$ROOT/tests/lib/xviod.sh"
GUEST_DIR=$TMP
topo_init xl
H=${TOPO_ID}h NS=${TOPO_ID}-wire PEER=${TOPO_ID}p
PEER_IP=198.18.92.2 VM_IP=198.18.92.10 PEER_IP2=198.18.93.2 VM_IP2=198.18.93.10
MAC0=52:54:00:00:92:10 MAC1=52:54:00:00:93:10
DOM=xvio-test-$$
V=(virsh -q -c "$LIBVIRT_URI")
SOCKDIR=$TMP/sockets
SOCK0=$SOCKDIR/lv0.sock SOCK1=$SOCKDIR/lv1.sock SERIAL=$SOCKDIR/serial.sock

cleanup() {
	set +u
	if "${V[@]}" dominfo "$DOM" >/dev/null 2>&1; then
		"${V[@]}" destroy "$DOM" >/dev/null 2>&1
		"${V[@]}" undefine "$DOM" >/dev/null 2>&1
	fi
	xviod_stop
	rm -f "/var/log/libvirt/qemu/$DOM.log"
	libvirt_down
	topo_cleanup
	rm -rf "$TMP"
}
trap cleanup EXIT

for t in qemu-system-x86_64 busybox socat; do
	command -v "$t" >/dev/null || { prereq_missing all "$t not installed (scripts/deps.sh guest libvirt)"; exit 0; }
done
if ! libvirt_up; then
	prereq_missing all "$LIBVIRT_WHY"
	exit 0
fi
QUSER=$(awk -F'"' '/^user *=/ {print $2}' /etc/libvirt/qemu.conf 2>/dev/null)
QUSER=${QUSER:-libvirt-qemu}
if ! id "$QUSER" >/dev/null 2>&1; then
	prereq_missing all "libvirt's QEMU user $QUSER does not exist"
	exit 0
fi
if ! bash "$ROOT/scripts/guest-build.sh" "$O" >"$TMP/build.log" 2>&1; then
	prereq_missing all "cannot build the guest image: $(tail -2 "$TMP/build.log")"
	exit 0
fi
guest_accel || { fail accel "$GUEST_ACCEL_WHY"; exit 0; }
note "accel: $GUEST_ACCEL_WHY; QEMU runs as $QUSER"
LV_TYPE=qemu # libvirt's name for TCG
[ "$GUEST_ACCEL" = kvm ] && LV_TYPE=kvm

# What QEMU (as $QUSER) reads and where it creates its sockets; xviod is a
# client there, so no directory has to be shared the other way.
chmod 711 "$TMP"
mkdir -p "$SOCKDIR"
chown "$QUSER" "$SOCKDIR"
chmod 700 "$SOCKDIR"
cp "$O/guest/vmlinuz" "$O/guest/initramfs.cpio.gz" "$TMP/"
chmod 644 "$TMP/vmlinuz" "$TMP/initramfs.cpio.gz"

fill() { # template: the @WORDS@ of this run
	sed -e "s|@NAME@|$DOM|g" -e "s|@KERNEL@|$TMP/vmlinuz|g" -e "s|@INITRD@|$TMP/initramfs.cpio.gz|g" \
		-e "s|@IP@|$VM_IP/24|g" -e "s|@SERIAL@|$SERIAL|g" -e "s|@MAC@|$2|g" -e "s|@SOCK@|$3|g" \
		-e "s|<domain type='qemu'|<domain type='$LV_TYPE'|" "$1"
}

# The guest's serial console is a unix socket QEMU listens on: socat joins it
# to a fifo (our input) and the console file, so guest_run works as with
# scripts/guest.sh's own QEMU.
serial_attach() {
	local name=$1 con fd
	con=$(guest_console "$name")
	: >"$con"
	mkfifo "$TMP/$name.in"
	# one connection (QEMU serves one client): fifo -> guest, guest -> file
	socat "UNIX-CONNECT:$SERIAL" "GOPEN:$TMP/$name.in!!OPEN:$con,append" &
	topo_track_pid $!
	exec {fd}>"$TMP/$name.in"
	GUEST_FD[$name]=$fd
	GUEST_SEQ[$name]=0
}

topo_pair "$H" "$NS" "$PEER" "" "$PEER_IP/24" || { fail setup topology; exit 1; }
ip -n "$NS" addr add "$PEER_IP2/24" dev "$PEER"
# full checksums on the wire's frames, as a real NIC's (see test-guest.sh)
ip netns exec "$NS" ethtool -K "$PEER" tx off >/dev/null 2>&1
# xviod starts with no guest port at all: they come with the domains.
xviod_start --nic "$H" || { fail setup xviod; exit 1; }

# ---- define, port add, start ----------------------------------------------------
t0=$SECONDS
fill "$ROOT/dist/libvirt/xvio-guest.xml" "$MAC0" "$SOCK0" >"$TMP/domain.xml"
out=$("$XC" --ctl "$CTL" port add "$SOCK0,client,mac=$MAC0" 2>&1)
if [ "$out" != "added port 1 (lv0.sock)" ]; then
	fail lv_start "xvioctl port add: $out"
	exit 0
fi
if ! "${V[@]}" define "$TMP/domain.xml" >"$TMP/virsh.out" 2>&1 ||
	! "${V[@]}" start "$DOM" >>"$TMP/virsh.out" 2>&1; then
	fail lv_start "virsh: $(tr '\n' ' ' <"$TMP/virsh.out")"
	exit 0
fi
wait_for 20 test -S "$SERIAL" || { fail lv_start "no serial socket from QEMU"; exit 0; }
serial_attach vm
if ! wait_for "$GUEST_BOOT_SECS" grep -q "XVIO-GUEST-READY $DOM" "$(guest_console vm)"; then
	fail lv_start "guest did not boot: $(tail -3 "$(guest_console vm)" | tr -d '\r' | tr '\n' ' ') $(tail -3 "/var/log/libvirt/qemu/$DOM.log" 2>/dev/null | tr '\n' ' ')"
	exit 0
fi
if ! wait_for 20 port_running lv0.sock; then
	fail lv_start "the port never ran: $("$XC" --ctl "$CTL" ports)"
	exit 0
fi
qpid=$(pgrep -f "guest=$DOM" | head -1)
quser=$(ps -o user= -p "${qpid:-0}" 2>/dev/null | tr -d ' ')
if [ "$quser" != "$QUSER" ] && [ "$(id -u "$quser" 2>/dev/null)" != "$(id -u "$QUSER")" ]; then
	fail lv_start "QEMU runs as '${quser:-?}', not libvirt's $QUSER"
else
	pass lv_start
fi
timing lv_boot $((SECONDS - t0))

# ---- ping and TCP from the wire -------------------------------------------------------
if ip netns exec "$NS" ping -c 3 -i 0.3 -W 3 "$VM_IP" >"$TMP/ping.out" 2>&1; then
	pass lv_ping
else
	fail lv_ping "$(tail -2 "$TMP/ping.out")"
fi
mkdir -p "$TMP/www"
head -c $((4 << 20)) /dev/urandom >"$TMP/www/blob"
want=$(md5sum <"$TMP/www/blob" | cut -c1-32)
ip netns exec "$NS" busybox httpd -f -p 8081 -h "$TMP/www" &
topo_track_pid $!
if ! wait_for 10 ip netns exec "$NS" busybox wget -q -O /dev/null "http://127.0.0.1:8081/blob"; then
	fail lv_tcp "busybox httpd did not serve in the wire namespace"
elif guest_run vm "wget -O /tmp/rx http://$PEER_IP:8081/blob 2>&1 | tail -2; md5sum /tmp/rx" 120 &&
	echo "$GUEST_OUT" | grep -q "$want"; then
	pass lv_tcp
else
	fail lv_tcp "want md5 $want, guest has: $GUEST_OUT"
fi

# ---- a second interface, hot-plugged -----------------------------------------------------
t0=$SECONDS
fill "$ROOT/dist/libvirt/xvio-interface.xml" "$MAC1" "$SOCK1" >"$TMP/iface.xml"
out=$("$XC" --ctl "$CTL" port add "$SOCK1,client,mac=$MAC1" 2>&1)
if [ "$out" != "added port 2 (lv1.sock)" ]; then
	fail lv_attach "xvioctl port add: $out"
elif ! "${V[@]}" attach-device "$DOM" "$TMP/iface.xml" --live >"$TMP/virsh.out" 2>&1; then
	fail lv_attach "virsh attach-device: $(tr '\n' ' ' <"$TMP/virsh.out")"
elif ! wait_for 30 port_running lv1.sock; then
	fail lv_attach "the second port never ran: $("$XC" --ctl "$CTL" ports)"
elif ! guest_run vm "for i in \$(seq 50); do [ -e /sys/class/net/eth1 ] && break; sleep 0.2; done; ip link set eth1 up && ip addr add $VM_IP2/24 dev eth1" 30; then
	fail lv_attach "no eth1 in the guest: $GUEST_OUT"
elif ! ip netns exec "$NS" ping -c 3 -i 0.3 -W 3 "$VM_IP2" >"$TMP/ping2.out" 2>&1; then
	fail lv_attach "the wire cannot ping the second interface: $(tail -2 "$TMP/ping2.out")"
elif [ "$(xstat lv1.sock to_guest)" = 0 ]; then
	fail lv_attach "the pings did not go through the second port"
else
	pass lv_attach
fi
timing lv_attach $((SECONDS - t0))

# ---- destroy, ports removed, nothing left -----------------------------------------------
"${V[@]}" destroy "$DOM" >/dev/null 2>&1
"${V[@]}" undefine "$DOM" >/dev/null 2>&1
d1=$("$XC" --ctl "$CTL" port del lv0.sock 2>&1)
d2=$("$XC" --ctl "$CTL" port del "$SOCK1" 2>&1)
left=$("$XC" --ctl "$CTL" ports | tail -n +2 | grep -v "^64 ")
if "${V[@]}" dominfo "$DOM" >/dev/null 2>&1; then
	fail lv_destroy_clean "domain $DOM still defined"
elif [ "$d1" != "removed port 1 (lv0.sock)" ] || [ "$d2" != "removed port 2 (lv1.sock)" ]; then
	fail lv_destroy_clean "port del: $d1; $d2"
elif [ -n "$left" ]; then
	fail lv_destroy_clean "ports left: $left"
elif [ -n "$(ls -A "$SOCKDIR" 2>/dev/null)" ]; then
	fail lv_destroy_clean "left in the socket directory: $(ls -A "$SOCKDIR")"
elif pgrep -f "guest=$DOM" >/dev/null; then
	fail lv_destroy_clean "QEMU of $DOM still running"
else
	pass lv_destroy_clean
fi
exit 0
