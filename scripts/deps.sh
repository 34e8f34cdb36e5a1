#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Idempotent dependency step for xvio: Debian packages, bpffs, hugepages.
# Run by `make test`, `make demo` and `make bench` before anything else;
# safe to run any number of times. Needs root (CI and the dev VM are root).
#
# Usage: scripts/deps.sh [build|test|frontend|guest|libvirt|bench|all]...
#   build     toolchain and libraries to compile xvio
#   test      + runtime tools for the integration tests (xdp-tools, iproute2)
#   frontend  + DPDK testpmd (net_virtio_user, net_af_xdp) and hugepages
#   guest     + QEMU, the Debian guest kernel and busybox for the TCG guest
#   libvirt   + libvirt as Debian ships it (libvirtd, virsh) and socat, for
#             tests/guest/test-libvirt.sh (scripts/libvirt.sh starts it)
#   bench     + everything the benchmark needs
set -euo pipefail

PKGS_BUILD="make gcc clang llvm libclang-rt-dev pkg-config libbpf-dev libxdp-dev libelf-dev zlib1g-dev bpftool libsystemd-dev libmicrohttpd-dev libinih-dev"
PKGS_TEST="xdp-tools iproute2 iputils-ping procps python3 mandoc systemd"
PKGS_FRONTEND="dpdk-dev librte-net-af-xdp23"
# The guest kernel is not installed on the host: scripts/guest-build.sh
# fetches linux-image-amd64's package with `apt-get download` and unpacks it.
PKGS_GUEST="qemu-system-x86 busybox-static cpio ethtool"
PKGS_LIBVIRT="libvirt-daemon-system libvirt-clients socat"
PKGS_BENCH="linux-perf python3 gnuplot-nox"

want=""
[ $# -eq 0 ] && set -- build
for group in "$@"; do
	case "$group" in
	build)    want="$want $PKGS_BUILD" ;;
	test)     want="$want $PKGS_BUILD $PKGS_TEST" ;;
	frontend) want="$want $PKGS_BUILD $PKGS_TEST $PKGS_FRONTEND" ;;
	guest)    want="$want $PKGS_BUILD $PKGS_TEST $PKGS_GUEST" ;;
	libvirt)  want="$want $PKGS_BUILD $PKGS_TEST $PKGS_GUEST $PKGS_LIBVIRT" ;;
	bench)    want="$want $PKGS_BUILD $PKGS_TEST $PKGS_FRONTEND $PKGS_BENCH" ;;
	all)      want="$want $PKGS_BUILD $PKGS_TEST $PKGS_FRONTEND $PKGS_GUEST $PKGS_LIBVIRT $PKGS_BENCH" ;;
	*) echo "deps.sh: unknown group '$group' (build|test|frontend|guest|libvirt|bench|all)" >&2; exit 2 ;;
	esac
done

log() { printf 'deps: %s\n' "$*" >&2; }

missing=""
for p in $want; do
	case " $missing " in *" $p "*) continue ;; esac
	# dpkg-query prints "install ok installed" only for a fully installed package.
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		log "missing packages:$missing; run this script as root to install them"
		exit 1
	fi
	log "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# A stale package list finds nothing on a fresh machine: update first,
	# but only when something is actually missing.
	apt-get update -qq >/dev/null
		apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ "$(id -u)" -eq 0 ]; then
	# bpffs: pins live under /sys/fs/bpf/xvio/<ifname>/.
	if ! mount | grep -q ' /sys/fs/bpf type bpf'; then
		mount -t bpf bpf /sys/fs/bpf 2>/dev/null || log "could not mount bpffs on /sys/fs/bpf"
	fi
	# xdp-loader --pin-path creates only the last directory of the path.
	mkdir -p /sys/fs/bpf/xvio 2>/dev/null || true
	# Hugepages for DPDK frontends (testpmd's virtio_user and net_vhost).
	case " $want " in *" dpdk-dev "*)
		have=$(cat /proc/sys/vm/nr_hugepages)
		if [ "$have" -lt 512 ]; then
			echo 512 > /proc/sys/vm/nr_hugepages || true
		fi
		mount | grep -q ' /dev/hugepages type hugetlbfs' || {
			mkdir -p /dev/hugepages
			mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
		}
		;;
	esac
fi
exit 0
