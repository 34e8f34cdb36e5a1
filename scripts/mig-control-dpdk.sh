#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A control for tests/guest/test-migrate.sh (docs/migration.md): the same
# TCG live migration between two QEMUs on one host, with DPDK's vhost
# (testpmd net_vhost) as the backend instead of xviod and the test's traffic
# (pings every 10 ms, 1000 UDP datagrams/s from a veth through
# net_af_packet; testpmd's forwarding switches to the destination's port at
# completion). Counts the destinations that fail after the switchover.
# Needs the test guest (make test builds it) and dpdk-testpmd (scripts/deps.sh
# dpdk); not part of make test.
#   scripts/mig-control-dpdk.sh [RUNS]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${BUILD:-$ROOT/build}; G=$B/guest; P=$B/tests/tools/xvio-pkt
D=$(mktemp -d)
N=${1:-10}
ok=0 bad=0
NS=dmig-wire H=dmigh PEER=dmigp VM_IP=198.18.95.10 PEER_IP=198.18.95.2 MAC=52:54:00:00:95:10
ip netns add $NS; ip link add $H type veth peer name $PEER netns $NS
ip link set $H up; ip -n $NS link set $PEER up; ip -n $NS link set lo up
ip -n $NS addr add $PEER_IP/24 dev $PEER
ip netns exec $NS ethtool -K $PEER tx off >/dev/null 2>&1
mkfifo $D/tp.in
( exec 3<>$D/tp.in; sleep 100000 ) &
holder=$!
dpdk-testpmd --lcores=0@1,1@1 --no-pci --iova-mode=va --single-file-segments -m 256 --file-prefix=dmig \
	--vdev "net_af_packet0,iface=$H" \
	--vdev "net_vhost0,iface=$D/a.sock,client=0" --vdev "net_vhost1,iface=$D/b.sock,client=0" \
	-- -i --nb-cores=1 --forward-mode=io --total-num-mbufs=8192 <$D/tp.in >$D/tp.log 2>&1 &
tp=$!
for k in $(seq 100); do [ -S $D/a.sock ] && [ -S $D/b.sock ] && break; sleep 0.1; done
tpc() { echo "$1" >$D/tp.in; }
tpc "set portlist 0,1"; tpc "start"
q() { # name sock extra...
	local n=$1 sock=$2; shift 2
	qemu-system-x86_64 -accel tcg -m 256 -smp 1 -nodefaults -nographic -no-reboot \
		-object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem \
		-kernel $G/vmlinuz -initrd $G/initramfs.cpio.gz \
		-append "console=ttyS0 quiet panic=-1 xvio.ip=$VM_IP/24 xvio.name=t watchdog_thresh=2" \
		-chardev file,id=ser0,path=$D/$n.con -serial chardev:ser0 \
		-chardev socket,id=vu,path=$sock,reconnect=1 -netdev vhost-user,id=n0,chardev=vu \
		-device virtio-net-pci,netdev=n0,mac=$MAC,vectors=0 \
		-monitor unix:$D/$n.mon,server=on,wait=off "$@" >$D/$n.log 2>&1 &
	echo $!
}
hmp() { python3 - "$D/$1.mon" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
def until():
    b = b""
    while not b.endswith(b"(qemu) "):
        d = s.recv(65536)
        if not d: break
        b += d
    return b.decode(errors="replace")
until(); s.sendall(sys.argv[2].encode() + b"\n"); print(until())
PY
}
for i in $(seq $N); do
	rm -f $D/*.con $D/*.mon $D/a.log $D/b.log $D/mig.sock
	a=$(q a $D/a.sock)
	for k in $(seq 300); do grep -q "XVIO-GUEST-READY" $D/a.con 2>/dev/null && break; sleep 0.1; done
	b=$(q b $D/b.sock -incoming unix:$D/mig.sock)
	for k in $(seq 50); do [ -S $D/b.mon ] && break; sleep 0.1; done
	ip netns exec $NS ping -c 2 -i 0.2 -W 2 $VM_IP >/dev/null 2>&1 || echo "run $i: no ping before"
	ip netns exec $NS $P send $PEER --dst-mac $MAC --src $PEER_IP --dst $VM_IP --dport 9001 --size 1000 --count 30000 --rate 1000 >$D/send.out 2>&1 &
	spid=$!
	ip netns exec $NS ping -i 0.01 -W 1 -w 40 $VM_IP >$D/ping.out 2>&1 &
	ppid=$!
	sleep 3
	hmp a "migrate_set_parameter max-bandwidth 1G" >/dev/null
	hmp a "migrate_set_parameter downtime-limit 20" >/dev/null
	hmp a "migrate -d unix:$D/mig.sock" >/dev/null
	for k in $(seq 300); do hmp a "info migrate" | grep -q "status: completed" && break; sleep 0.1; done
	tpc "stop"; tpc "set portlist 0,2"; tpc "start"
	mig=$(hmp a "info migrate" | grep -E -o "Migration status: [a-z]*|downtime: [0-9]+ ms" | tr '\n' ' ')
	kill $a 2>/dev/null
	sleep 10
	st=$(hmp b "info status" 2>/dev/null | grep -o "VM status: [a-z]*")
	pg=no; ip netns exec $NS ping -c 3 -i 0.2 -W 2 $VM_IP >/dev/null 2>&1 && pg=yes
	kill $spid $ppid 2>/dev/null; wait $spid $ppid 2>/dev/null
	if kill -0 $b 2>/dev/null && [ "$st" = "VM status: running" ] && [ $pg = yes ] && ! grep -q "soft lockup" $D/b.con; then
		ok=$((ok + 1)); echo "run $i [$mig] ok $(tail -2 $D/ping.out | head -1)"
	else
		bad=$((bad + 1)); echo "run $i [$mig]: dest $(kill -0 $b 2>/dev/null && echo alive || echo dead) [$st] ping=$pg $(tail -c 300 $D/b.con | tr -d '\r' | tr '\n' ' ')"
		tail -2 $D/b.log
	fi
	kill $b 2>/dev/null; wait $b 2>/dev/null
	tpc "stop"; tpc "set portlist 0,1"; tpc "start"
done
echo "ok=$ok bad=$bad"
tpc "quit"; sleep 1
kill $tp $holder 2>/dev/null; wait $tp 2>/dev/null
rm -f /dev/hugepages/dmig* ; rm -rf /var/run/dpdk/dmig
ip netns del $NS; ip link del $H 2>/dev/null
grep -i "error" $D/tp.log | head -5
rm -rf $D
