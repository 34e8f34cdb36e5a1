#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# QEMU guests attached to xviod, for tests and the demo. Source after
# scripts/topo.sh; the guest comes from scripts/guest-build.sh.
#
#   guest_accel     chooses the accelerator once (scripts/accel.sh: KVM only
#       with hardware virtualization, else TCG; XVIO_ACCEL=kvm|tcg overrides)
#       and sets GUEST_ACCEL and GUEST_ACCEL_WHY; returns 2 on a bad XVIO_ACCEL
#   guest_start NAME SOCK MAC IP/PFX [server|client] [MEM_MB]
#       boots a Linux guest under QEMU (guest_accel): guest RAM shared through
#       memory-backend-memfd (vhost-user needs it), -netdev vhost-user on SOCK.
#       "server": xviod listens, QEMU connects with reconnect=1 (re-dials a
#       restarted xviod). "client": QEMU listens (server=on), xviod --vhost
#       PATH,client connects. Waits until the guest's init says it is ready.
#       GUEST_RUNAS (e.g. "setpriv --reuid=65534 --regid=65534 --clear-groups")
#       runs QEMU as another user, GUEST_RUNAS_GROUP its group: the serial
#       fifos are then given to that group, and the vhost-user socket must be
#       (xviod --socket-group). GUEST_NET_OPTS: more virtio-net-pci
#       properties, e.g. "guest_tso4=off,guest_tso6=off" (offloads off)
#   guest_start_incoming NAME SOCK MAC IP/PFX URI
#       the same QEMU, waiting for a live migration on URI (-incoming): it
#       does not boot; after the migration its serial console is the guest's
#   guest_hmp NAME "command"             a QEMU monitor (HMP) command; its
#       answer in $GUEST_OUT (every QEMU not run as GUEST_RUNAS has a monitor)
#   guest_run NAME "command" [TIMEOUT]   run in the guest's shell; returns its
#       exit status; its output is in $GUEST_OUT
#   guest_kill NAME                      SIGKILL QEMU (a crash)
#   guest_console NAME                   path of the serial console log
#
# Facts (docs/quickstart.md): the CI machines have a /dev/kvm from a nested
# module (kvm_pvm) under which a guest never boots, so TCG; QEMU 7.2 under TCG
# crashes with MSI-X on vhost-user virtio-net, hence vectors=0; -nodefaults
# keeps a stray e1000 out; with plain -m guest RAM the link comes up but no
# frame ever moves, so RAM is always a shared memfd.
GUEST_DIR=${GUEST_DIR:-} # set it before guest_start (a directory of the caller's)
GUEST_BUILD=${GUEST_BUILD:-build}
declare -A GUEST_PID GUEST_FD GUEST_SEQ GUEST_CAT
GUEST_OUT=""
GUEST_ACCEL="" GUEST_ACCEL_WHY=""
GUEST_BOOT_SECS=${GUEST_BOOT_SECS:-120}
. "$(dirname "${BASH_SOURCE[0]}")/accel.sh"

guest_accel() {
	[ -n "$GUEST_ACCEL" ] && return 0
	accel_choose || { GUEST_ACCEL_WHY=$ACCEL_WHY; return 2; }
	GUEST_ACCEL=$ACCEL GUEST_ACCEL_WHY=$ACCEL_WHY
}

guest_console() {
	echo "$GUEST_DIR/$1.console"
}

guest_start() {
	_guest_launch "$@" || return
	if ! wait_for "$GUEST_BOOT_SECS" grep -q "XVIO-GUEST-READY $1" "$(guest_console "$1")"; then
		echo "guest $1 did not boot within $GUEST_BOOT_SECS s under $GUEST_ACCEL ($GUEST_ACCEL_WHY): console $(guest_console "$1"), QEMU log $GUEST_DIR/$1.qemu.log: $(tail -3 "$(guest_console "$1")" | tr -d '\r' | tr '\n' ' ') $(tail -3 "$GUEST_DIR/$1.qemu.log" | tr '\n' ' ')"
		return 1
	fi
}

guest_start_incoming() {
	local name=$1
	GUEST_INCOMING=$5 _guest_launch "$1" "$2" "$3" "$4" server || return
	wait_for 20 test -S "$GUEST_DIR/$name.mon" ||
		{ echo "guest $name: no monitor socket: $(tail -3 "$GUEST_DIR/$name.qemu.log")"; return 1; }
}

guest_hmp() {
	local name=$1 cmd=$2
	GUEST_OUT=$(python3 - "$GUEST_DIR/$name.mon" "$cmd" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
def until_prompt():
    b = b""
    while not b.endswith(b"(qemu) "):
        d = s.recv(65536)
        if not d:
            break
        b += d
    return b
until_prompt()
s.sendall(sys.argv[2].encode() + b"\n")
out = until_prompt().decode(errors="replace").replace("\r", "")
lines = out.split("\n")[1:-1]  # the echoed command and the prompt
print("\n".join(l for l in lines if not l.startswith("\x1b")))
PY
)
}

_guest_launch() {
	local name=$1 sock=$2 mac=$3 ip=$4 mode=${5:-server} mem=${6:-256}
	local pipe con chr fd
	local -a inc=() mon=()
	[ -n "${GUEST_INCOMING:-}" ] && inc=(-incoming "$GUEST_INCOMING")
	# the monitor socket: only for a QEMU of ours (one run as another user
	# could not create it in GUEST_DIR)
	if [ -z "${GUEST_RUNAS:-}" ]; then
		rm -f "$GUEST_DIR/$name.mon"
		mon=(-monitor "unix:$GUEST_DIR/$name.mon,server=on,wait=off")
	fi
	[ -n "$GUEST_DIR" ] || { echo "guest_start: set GUEST_DIR first"; return 2; }
	pipe="$GUEST_DIR/$name.serial" con="$GUEST_DIR/$name.console"
	if ! guest_accel; then
		echo "guest $name not started: $GUEST_ACCEL_WHY"
		return 2
	fi
	rm -f "$pipe.in" "$pipe.out"
	mkfifo "$pipe.in" "$pipe.out"
	if [ -n "${GUEST_RUNAS:-}" ]; then
		chgrp "${GUEST_RUNAS_GROUP:?set with GUEST_RUNAS}" "$pipe.in" "$pipe.out" &&
			chmod 0660 "$pipe.in" "$pipe.out"
	fi
	: >"$con"
	if [ "$mode" = client ]; then
		chr="socket,id=vu,path=$sock,server=on,wait=off"
	else
		chr="socket,id=vu,path=$sock,reconnect=1"
	fi
	# shellcheck disable=SC2086 # GUEST_RUNAS is a command with its arguments
	${GUEST_RUNAS:-} qemu-system-x86_64 -accel "$GUEST_ACCEL" -m "$mem" -smp 1 -nodefaults -nographic -no-reboot \
		-object "memory-backend-memfd,id=mem,size=${mem}M,share=on" -numa node,memdev=mem \
		-kernel "$GUEST_BUILD/guest/vmlinuz" -initrd "$GUEST_BUILD/guest/initramfs.cpio.gz" \
		-append "console=ttyS0 quiet panic=-1 xvio.ip=$ip xvio.name=$name" \
		-chardev "pipe,id=ser0,path=$pipe" -serial chardev:ser0 \
		-chardev "$chr" -netdev vhost-user,id=n0,chardev=vu \
		-device "virtio-net-pci,netdev=n0,mac=$mac,vectors=0${GUEST_NET_OPTS:+,$GUEST_NET_OPTS}" \
		"${mon[@]}" "${inc[@]}" \
		>"$GUEST_DIR/$name.qemu.log" 2>&1 &
	GUEST_PID[$name]=$!
	topo_track_pid "${GUEST_PID[$name]}"
	cat "$pipe.out" >>"$con" &
	GUEST_CAT[$name]=$!
	topo_track_pid "${GUEST_CAT[$name]}"
	exec {fd}>"$pipe.in"
	GUEST_FD[$name]=$fd
	GUEST_SEQ[$name]=0
}

_guest_done() { # console marker
	grep -q "^$2 " "$1"
}

guest_run() {
	local name=$1 cmd=$2 timeout=${3:-30} con n marker rc
	con=$(guest_console "$name")
	n=$((GUEST_SEQ[$name] + 1))
	GUEST_SEQ[$name]=$n
	marker="XVIO-RC-$n"
	# The marker is split in the command so that the echoed command line
	# itself never matches it.
	echo "$cmd; echo XVIO-RC-\"\"$n \$?" >&"${GUEST_FD[$name]}"
	if ! wait_for "$timeout" _guest_done "$con" "$marker"; then
		GUEST_OUT=$(tail -20 "$con")
		return 124
	fi
	rc=$(grep "^$marker " "$con" | tail -1 | awk '{print $2}' | tr -d '\r')
	GUEST_OUT=$(sed -n "/XVIO-RC-\"\"$n/,/^$marker /p" "$con" | sed '1d;$d' | tr -d '\r')
	return "${rc:-1}"
}

guest_kill() {
	local name=$1
	kill -9 "${GUEST_PID[$name]}" 2>/dev/null
	wait "${GUEST_PID[$name]}" 2>/dev/null
	kill "${GUEST_CAT[$name]}" 2>/dev/null
	eval "exec ${GUEST_FD[$name]}>&-" 2>/dev/null
	unset "GUEST_PID[$name]"
}
