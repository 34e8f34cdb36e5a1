#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xvio as a host service (issue 15, first part): `make install` into a
# PREFIX puts the programs, man pages, docs and systemd unit there (DESTDIR
# too); the unit passes `systemd-analyze verify`; the man pages pass
# `mandoc -T lint` and name every option and sub-option `--help` prints (and
# no option --help lacks); xviod tells systemd READY=1 on $NOTIFY_SOCKET only
# once its control socket answers, and STOPPING=1 on SIGTERM;
# `make uninstall` leaves no file behind.
set -u
O=$(cd "${1:?build dir}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=integ/install
. "$ROOT/tests/lib/suite.sh"
TMP=$(mktemp -d)
. "$ROOT/tests/lib/xviod.sh"
trap 'set +u; xviod_stop; [ -n "${NPID:-}" ] && kill "$NPID" 2>/dev/null; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
P="$TMP/prefix"

# ---- install, DESTDIR ----------------------------------------------------------
if make -s -C "$ROOT" O="$O" install DESTDIR="$TMP/dest" PREFIX=/usr >"$TMP/destdir.log" 2>&1 &&
	[ -x "$TMP/dest/usr/sbin/xviod" ] &&
	grep -q '^ExecStart=/usr/sbin/xviod \$XVIOD_ARGS$' "$TMP/dest/usr/lib/systemd/system/xviod.service"; then
	pass install_destdir
else
	fail install_destdir "$(tail -3 "$TMP/destdir.log")"
fi

if ! make -s -C "$ROOT" O="$O" install PREFIX="$P" >"$TMP/install.log" 2>&1; then
	fail install "$(tail -5 "$TMP/install.log")"
	exit 0
fi
missing=""
for f in sbin/xviod sbin/xvioctl sbin/xvio-loader lib/bpf/xvio.bpf.o share/man/man8/xviod.8 \
	share/man/man8/xvioctl.8 share/man/man8/xvio-loader.8 lib/systemd/system/xviod.service \
	share/doc/xvio/docs/security.md share/doc/xvio/examples/xviod.default include/xvio/abi.h; do
	[ -e "$P/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && pass install || fail install "missing:$missing"

# ---- the systemd unit ------------------------------------------------------------
if ! command -v systemd-analyze >/dev/null; then
	prereq_missing unit_verify "systemd-analyze not installed (scripts/deps.sh test installs systemd)"
elif out=$(MANPATH="$P/share/man" systemd-analyze verify "$P/lib/systemd/system/xviod.service" 2>&1) &&
	[ -z "$out" ]; then
	pass unit_verify
else
	fail unit_verify "$out"
fi
expect unit_type_notify 0 "^Type=notify$" cat "$P/lib/systemd/system/xviod.service"
expect unit_execstart 0 "^ExecStart=$P/sbin/xviod \\\$XVIOD_ARGS$" cat "$P/lib/systemd/system/xviod.service"

# ---- man pages -----------------------------------------------------------------
if ! command -v mandoc >/dev/null; then
	prereq_missing man_lint "mandoc not installed (scripts/deps.sh test installs it)"
else
	out=$(mandoc -T lint -W warning "$P"/share/man/man8/*.8 2>&1)
	[ -z "$out" ] && pass man_lint || fail man_lint "$out"
fi
expect man_renders 0 "xvioctl - show and change what a running xviod does" \
	env MANWIDTH=100 man -l "$P/share/man/man8/xvioctl.8"

# Every --option and word= sub-option --help prints is
# in the man page; every --option its OPTIONS section documents is in --help.
man_in_step() { # prog manpage
	local prog=$1 page=$2 help text o missing="" extra=""
	help=$("$P/sbin/$prog" --help 2>&1)
	text=$(MANWIDTH=200 man -l "$page" 2>/dev/null | col -b)
	for o in $(echo "$help" | grep -oE -- '--[a-z][a-z-]+' | sort -u) \
		$(echo "$help" | grep -oE '^ {20,}[a-z_]+=' | tr -d ' ' | sort -u); do
		echo "$text" | grep -qF -- "$o" || missing="$missing $o"
	done
	for o in $(echo "$text" | awk '/^OPTIONS/ { on = 1; next } /^[A-Z]/ { on = 0 } on' |
		grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		echo "$help" | grep -qF -- "$o" || extra="$extra $o"
	done
	if [ -z "$missing$extra" ]; then
		pass "man_in_step_$prog"
	else
		fail "man_in_step_$prog" "in --help, not the man page:${missing:- none}; in the man page, not --help:${extra:- none}"
	fi
}
man_in_step xviod "$P/share/man/man8/xviod.8"
man_in_step xvioctl "$P/share/man/man8/xvioctl.8"
man_in_step xvio-loader "$P/share/man/man8/xvio-loader.8"

# ---- sd_notify -----------------------------------------------------------------
# A datagram socket stands in for systemd; each message xviod sends is
# printed with whether the control socket answered a request at that moment.
python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    m = s.recv(4096).decode()
    up = "ctl-down "
    try:  # "ready" must mean xvioctl is answered, not just that a file exists
        c = socket.socket(socket.AF_UNIX); c.settimeout(2); c.connect(sys.argv[2])
        c.sendall(b"ports\n")
        up = "ctl-up " if c.recv(64) else "ctl-silent "
    except OSError:
        pass
    print(up + m.replace("\n", " "), flush=True)
' "$TMP/notify" "$CTL" >"$TMP/notify.out" 2>&1 &
NPID=$!
wait_for 5 grep -q listening "$TMP/notify.out"
NOTIFY_SOCKET="$TMP/notify" xviod_start --vhost "$TMP/vm0.sock" || fail sd_notify "xviod did not start"
if wait_for 5 grep -q "READY=1" "$TMP/notify.out" && grep -q "^ctl-up READY=1 STATUS=1 port(s)" "$TMP/notify.out"; then
	pass sd_notify_ready
else
	fail sd_notify_ready "got: $(cat "$TMP/notify.out")"
fi
kill -TERM "$XPID"
wait_for 5 bash -c "! kill -0 $XPID 2>/dev/null"
XPID=""
if wait_for 5 grep -q "STOPPING=1" "$TMP/notify.out"; then
	pass sd_notify_stopping
else
	fail sd_notify_stopping "got: $(cat "$TMP/notify.out")"
fi

# ---- uninstall -------------------------------------------------------------------
make -s -C "$ROOT" O="$O" uninstall PREFIX="$P" >/dev/null 2>&1
left=$(find "$P" -type f 2>/dev/null)
[ -z "$left" ] && pass uninstall || fail uninstall "left behind: $left"
exit 0
