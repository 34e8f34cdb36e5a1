#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `make demo` (scripts/demo.sh) checks what it shows:
#   demo_passes           on a working setup: exit 0, every check in the
#                         summary, the last line "demo: passed ..."
#   demo_no_forwarding    xviod's XDP program is taken off the NIC as soon as
#                         it is attached, so nothing from the wire reaches
#                         the guest: exit 1, and the last line names the ping
#                         that got no reply and its log
#   demo_bad_accel        XVIO_ACCEL=bogus: exit 1 before any guest starts
#   demo_cleans_up        after each run, none of its namespaces, links,
#                         pins or processes are left
# Each run uses a build directory of its own (links to the real binaries and
# guest image), so the demo's logs there are the test's.
set -u
O=$(cd "${1:?build dir}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=guest
. "$ROOT/tests/lib/suite.sh"
TMP=$(mktemp -d)
DPID=""
trap 'set +u; [ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID"; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

for t in qemu-system-x86_64 busybox ethtool; do
	command -v "$t" >/dev/null || { prereq_missing demo "$t not installed (scripts/deps.sh guest)"; exit 0; }
done
if ! bash "$ROOT/scripts/guest-build.sh" "$O" >"$TMP/build.log" 2>&1; then
	prereq_missing demo "cannot build the guest image: $(tail -2 "$TMP/build.log")"
	exit 0
fi

# build_dir NAME: a build directory whose binaries and guest are $O's.
build_dir() {
	local d="$TMP/$1" f
	mkdir -p "$d"
	for f in xviod xvioctl guest; do
		ln -s "$O/$f" "$d/$f"
	done
	echo "$d"
}

# What run NAME may leave behind: the demo's names all start with "xd";
# its temporary directory is made under $TMP/t-NAME (TMPDIR), so its
# processes (xviod, QEMU, the wire's httpd) name $TMP on their command line.
leftovers() {
	{
		[ -z "${1:-}" ] || [ -z "$(ls -A "$TMP/t-$1" 2>/dev/null)" ] ||
			echo "tmpdir $(ls "$TMP/t-$1")"
		ip netns list | awk '$1 ~ /^xd[0-9a-f]{4}-wire$/ {print "namespace " $1}'
		ip -o link show | awk -F': ' '$2 ~ /^xd[0-9a-f]{4}nic/ {print "link " $2}'
		ls -d /sys/fs/bpf/xvio/xd[0-9a-f][0-9a-f][0-9a-f][0-9a-f]nic 2>/dev/null | sed 's/^/pin /'
		pgrep -f "$TMP/" | grep -vx "$$" | sed 's/^/process /'
	} | tr '\n' ' '
}

# demo NAME DIR [ENV...]: run the demo; its output in $TMP/NAME.out, its
# status in $RC. A demo that has not ended after 300 s is stopped.
demo() {
	local name=$1 dir=$2
	shift 2
	mkdir -p "$TMP/t-$name"
	env TMPDIR="$TMP/t-$name" "$@" bash "$ROOT/scripts/demo.sh" "$dir" >"$TMP/$name.out" 2>&1 &
	DPID=$!
	if ! wait_for 300 bash -c "! kill -0 $DPID"; then
		kill -TERM "$DPID"
	fi
	wait "$DPID"
	RC=$?
	DPID=""
	LAST=$(tail -1 "$TMP/$name.out")
}

check_clean() { # case run
	local left
	left=$(leftovers "$2")
	[ -z "$left" ] && pass "$1" || fail "$1" "left behind: $left"
}

[ -z "$(leftovers)" ] || { fail demo "leftovers of an earlier demo run: $(leftovers)"; exit 0; }

# ---- a working setup ----------------------------------------------------------------------
t0=$SECONDS
demo ok "$(build_dir ok)"
timing demo_passes $((SECONDS - t0))
if [ "$RC" -ne 0 ]; then
	fail demo_passes "exit $RC: $LAST"
elif ! [[ "$LAST" =~ ^demo:\ passed\ in\ [0-9]+\ s ]]; then
	fail demo_passes "last line: $LAST"
else
	bad=""
	for want in "ping wire -> guest: [1-9]/3 replies" "ping guest -> wire: [1-9]/3 replies" \
		"TCP wire -> guest: 4 MiB in .* md5 equal" "TCP guest -> wire: 4 MiB in .* md5 equal" \
		"guest vm0 booted under (TCG|KVM)" "xviod: [0-9]+ frames from the wire, [0-9]+ to the wire"; do
		grep -Eq "^  $want" "$TMP/ok.out" || bad="$bad [$want]"
	done
	[ -z "$bad" ] && pass demo_passes || fail demo_passes "summary lacks$bad: $(tail -12 "$TMP/ok.out")"
fi
check_clean demo_cleans_up_after_pass ok

# ---- xviod not forwarding: its XDP program is taken away ---------------------------------
# The wrapper finds the NIC in xviod's arguments, waits until a program is
# attached to it, removes it, and runs the real xviod meanwhile.
BROKEN=$(build_dir broken)
rm "$BROKEN/xviod"
cat >"$BROKEN/xviod" <<EOF
#!/usr/bin/env bash
nic="" prev=""
for a in "\$@"; do [ "\$prev" = --nic ] && nic=\$a; prev=\$a; done
(
	for _ in \$(seq 300); do
		if ip -d link show dev "\$nic" 2>/dev/null | grep -q 'prog/xdp'; then
			ip link set dev "\$nic" xdp off 2>/dev/null
			ip link set dev "\$nic" xdpgeneric off 2>/dev/null
			echo "test: XDP program removed from \$nic" >&2
			exit 0
		fi
		sleep 0.05
	done
) &
exec "$O/xviod" "\$@"
EOF
chmod +x "$BROKEN/xviod"
t0=$SECONDS
demo broken "$BROKEN"
timing demo_no_forwarding $((SECONDS - t0))
if [ "$RC" -eq 0 ]; then
	fail demo_no_forwarding "exit 0 although nothing reached the guest: $(tail -5 "$TMP/broken.out")"
elif ! grep -q "XDP program removed" "$BROKEN/demo/xviod.log"; then
	fail demo_no_forwarding "the program was never removed (exit $RC): $LAST"
elif ! [[ "$LAST" =~ ^demo:\ FAILED:\ the\ peer\'s\ ping\ to\ the\ guest\ got\ no\ reply\ \(0/3\)\ \(log:\ $BROKEN/demo/ping-to-guest.log\)$ ]]; then
	fail demo_no_forwarding "exit $RC, last line: $LAST"
elif ! [ -s "$BROKEN/demo/ping-to-guest.log" ]; then
	fail demo_no_forwarding "the log it names is empty or missing"
else
	pass demo_no_forwarding
fi
check_clean demo_cleans_up_after_failure broken

# ---- a bad accelerator override --------------------------------------------------------------
demo accel "$(build_dir accel)" XVIO_ACCEL=bogus
if [ "$RC" -ne 1 ]; then
	fail demo_bad_accel "exit $RC: $LAST"
elif ! [[ "$LAST" =~ ^demo:\ FAILED:\ XVIO_ACCEL=\'bogus\'\ is\ not\ an\ accelerator ]]; then
	fail demo_bad_accel "last line: $LAST"
elif grep -q "booting a Linux guest" "$TMP/accel.out"; then
	fail demo_bad_accel "it went on to boot a guest"
else
	pass demo_bad_accel
fi
check_clean demo_cleans_up_after_bad_accel accel
exit 0
