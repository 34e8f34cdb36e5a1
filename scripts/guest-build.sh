#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the test guest under $O/guest/ (cached; rebuilt when this script
# changes): Debian's kernel from linux-image-amd64 (downloaded and unpacked,
# never installed on the host) and an initramfs of busybox-static with the
# virtio-net modules. The guest's init configures eth0 from the kernel command
# line (xvio.ip=ADDR/PREFIX, xvio.name=NAME), prints XVIO-GUEST-READY and runs
# a shell on the serial console, so tests and the demo can drive it.
set -euo pipefail
O=${1:-build}
G="$O/guest"
mkdir -p "$G"
# Tools the tests run inside the guest (tests/tools/udp-check), when built.
EXTRA_BINS="$O/tests/tools/udp-check"
stamp="$G/.built-$( (sha256sum "$0"; for b in $EXTRA_BINS; do if [ -f "$b" ]; then sha256sum <"$b"; fi; done) |
	sha256sum | cut -c1-16)"
[ -f "$stamp" ] && [ -f "$G/vmlinuz" ] && [ -f "$G/initramfs.cpio.gz" ] && exit 0

log() { printf 'guest-build: %s\n' "$*" >&2; }

# The kernel package linux-image-amd64 points at, as a .deb.
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$pkg" ]; then
	apt-get update -qq >/dev/null
	pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
[ -n "$pkg" ] || { log "cannot find the kernel package behind linux-image-amd64"; exit 1; }
rm -rf "$G/deb" "$G/kroot" "$G/initramfs"
mkdir -p "$G/deb"
log "downloading $pkg"
(cd "$G/deb" && apt-get download "$pkg" >/dev/null 2>&1) ||
	{ log "apt-get download $pkg failed"; exit 1; }
dpkg-deb -x "$G"/deb/*.deb "$G/kroot"
kver=$(ls "$G/kroot/lib/modules")
cp "$G/kroot/boot/vmlinuz-$kver" "$G/vmlinuz"

# initramfs: busybox, the modules virtio-net needs (in load order), init.
R="$G/initramfs"
mkdir -p "$R"/{bin,dev,proc,sys,tmp,lib/modules,etc}
cp "$(command -v busybox)" "$R/bin/busybox"
for b in $EXTRA_BINS; do
	if [ -f "$b" ]; then cp "$b" "$R/bin/"; fi
done
file "$R/bin/busybox" 2>/dev/null | grep -q 'statically linked' ||
	ldd "$R/bin/busybox" 2>&1 | grep -q 'not a dynamic' || { log "busybox is not static (install busybox-static)"; exit 1; }
mods="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net"
for m in $mods; do
	f=$(find "$G/kroot/lib/modules/$kver" -name "$m.ko*" | head -1)
	[ -n "$f" ] || { log "module $m not found in $pkg"; exit 1; }
	case "$f" in
	*.ko.xz) xz -dc "$f" >"$R/lib/modules/$m.ko" ;;
	*.ko.zst) zstd -dcq "$f" >"$R/lib/modules/$m.ko" ;;
	*) cp "$f" "$R/lib/modules/$m.ko" ;;
	esac
done
echo "$mods" >"$R/lib/modules/order"
# make bench (scripts/bench-tcp.sh): one TCP transfer timed inside the guest,
# with the guest's busy CPU time meanwhile (USER_HZ jiffies of /proc/stat).
cat >"$R/bin/tget" <<'TGET'
#!/bin/sh
# tget URL: fetch URL into /dev/null (no pipe: the guest's CPU is what is
# measured); prints wget's status, milliseconds, busy jiffies
busy() { read -r _ u n s _ _ q sq st _ </proc/stat; echo $((u + n + s + q + sq + st)); }
ms() { read -r up _ </proc/uptime; echo $((${up%.*} * 1000 + 1${up#*.} * 10 - 1000)); }
b0=$(busy); t0=$(ms)
wget -q -O /dev/null "$1"
rc=$?
t1=$(ms); b1=$(busy)
echo "tget rc=$rc ms=$((t1 - t0)) busy=$((b1 - b0))"
TGET
cat >"$R/bin/cpubusy" <<'BUSY'
#!/bin/sh
read -r _ u n s _ _ q sq st _ </proc/stat
echo "cpubusy=$((u + n + s + q + sq + st))"
BUSY
chmod +x "$R/bin/tget" "$R/bin/cpubusy"
cat >"$R/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m.ko || echo "init: insmod $m failed"; done
ip=""; name=guest
for a in $(cat /proc/cmdline); do
	case "$a" in
	xvio.ip=*) ip=${a#xvio.ip=} ;;
	xvio.name=*) name=${a#xvio.name=} ;;
	esac
done
hostname "$name"
ip link set lo up
for i in $(seq 50); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
ip link set eth0 up
[ -n "$ip" ] && ip addr add "$ip" dev eth0
echo "XVIO-GUEST-READY $name $(cat /sys/class/net/eth0/address 2>/dev/null)"
# A shell on the console for whoever drives the guest (tests, the demo).
exec setsid cttyhack sh
INIT
chmod +x "$R/init"
(cd "$R" && find . | cpio -o -H newc 2>/dev/null | gzip -1 >"../initramfs.cpio.gz")
rm -rf "$G/deb" "$G/kroot" "$R"
rm -f "$G"/.built-*
touch "$stamp"
log "guest ready: $G/vmlinuz ($kver), $G/initramfs.cpio.gz"
