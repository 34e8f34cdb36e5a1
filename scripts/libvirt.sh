#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# libvirt for the tests, on machines without systemd as PID 1 (the CI's):
# source it, then
#
#   libvirt_up      make sure libvirtd (qemu:///system) answers: starts
#       virtlogd and libvirtd by hand when nothing answers (and only then),
#       and remembers that it did; returns 1 with LIBVIRT_WHY set when it
#       cannot
#   libvirt_down    stops the daemons libvirt_up started, by the PIDs in
#       their pid files (a libvirtd that was already running is left alone)
#
# Where systemd runs libvirt (a normal host), libvirt_up finds it answering
# and starts nothing.
LIBVIRT_URI=${LIBVIRT_URI:-qemu:///system}
LIBVIRT_WHY=""
LIBVIRT_STARTED=()
LIBVIRT_HP_NEW="" # libvirtd makes /dev/hugepages/libvirt: ours to remove if it was not there

_libvirt_answers() {
	virsh -c "$LIBVIRT_URI" version >/dev/null 2>&1
}

libvirt_up() {
	local d pidfile
	if ! command -v virsh >/dev/null || ! command -v libvirtd >/dev/null; then
		LIBVIRT_WHY="libvirt is not installed (scripts/deps.sh libvirt installs libvirt-daemon-system)"
		return 1
	fi
	_libvirt_answers && return 0
	[ -e /dev/hugepages/libvirt ] || LIBVIRT_HP_NEW=1
	# Debian's packages leave these to systemd's tmpfiles.
	mkdir -p /var/log/libvirt/qemu /run/libvirt /var/lib/libvirt/qemu /var/cache/libvirt
	for d in virtlogd libvirtd; do
		pidfile=/run/$d.pid
		if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
			continue # running, not ours
		fi
		if ! "$d" -d >/dev/null 2>&1; then
			LIBVIRT_WHY="$d -d failed to start"
			return 1
		fi
		LIBVIRT_STARTED+=("$d")
	done
	if ! wait_for 30 _libvirt_answers; then
		LIBVIRT_WHY="libvirtd started but $LIBVIRT_URI does not answer: $(virsh -c "$LIBVIRT_URI" version 2>&1 | tail -1)"
		return 1
	fi
}

libvirt_down() {
	local d pid
	for d in "${LIBVIRT_STARTED[@]}"; do
		pid=$(cat "/run/$d.pid" 2>/dev/null) || continue
		[ -n "$pid" ] || continue
		kill -TERM "$pid" 2>/dev/null
		wait_for 10 bash -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null
	done
	LIBVIRT_STARTED=()
	# only empty directories: a guest's hugepage file is never removed here
	[ -n "$LIBVIRT_HP_NEW" ] && find /dev/hugepages/libvirt -depth -type d -empty -delete 2>/dev/null
	LIBVIRT_HP_NEW=""
}
