#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Who may include whom (docs/architecture.md, "Modules"): a folder includes
# its own headers and those of folders below it, never of one above or
# beside it.
#   0 headers/xvio   the BPF <-> user ABI
#   1 lib/           logging, JSON, parsing
#   2 afxdp/ vhost/ loader/ bpf/   libraries, each on its own
#   3 user/          the daemon and the CLI
# And the one module that moves frames, user/poller.c, includes no port
# implementation: it sees ports only through user/port.h.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=integ/layers
. "$ROOT/tests/lib/suite.sh"
cd "$ROOT" || exit 1

rank() {
	case "$1" in
	headers) echo 0 ;;
	lib) echo 1 ;;
	afxdp | vhost | loader | bpf) echo 2 ;;
	user) echo 3 ;;
	*) echo 9 ;;
	esac
}

# The folder a quoted header lives in ("" for generated or system ones).
home_of() { # header-name including-folder
	local h=${1##*/} d
	[ -f "$2/$1" ] && { echo "$2"; return; }
	case "$1" in
	*/*) d=${1%%/*}; [ -d "$d" ] && [ "$d" != .. ] && { echo "$d"; return; } ;;
	esac
	for d in lib afxdp vhost loader bpf user; do
		[ -f "$d/$h" ] && { echo "$d"; return; }
	done
	case "$1" in xvio/*) echo headers ;; esac
}

bad=""
n=0
for f in $(git ls-files 'headers/*.h' 'lib/*.[ch]' 'afxdp/*.[ch]' 'vhost/*.[ch]' 'loader/*.[ch]' \
	'bpf/*.[ch]' 'user/*.[ch]'); do
	dir=${f%%/*}
	mine=$(rank "$dir")
	while IFS= read -r inc; do
		[ -n "$inc" ] || continue
		n=$((n + 1))
		home=$(home_of "$inc" "$(dirname "$f")")
		home=${home%%/*}
		[ -n "$home" ] || continue # generated (skeleton) or a system header
		[ "$home" = "$dir" ] && continue
		if [ "$(rank "$home")" -ge "$mine" ]; then
			bad="$bad $f->$inc($home)"
		fi
	done < <(sed -n 's/^#include ["<]\(xvio\/[^">]*\|[^">]*\)[">].*/\1/p' "$f" |
		grep -vE '^(linux|bpf|xdp|sys|net|netinet|arpa|asm|bits)/')
done
if [ "$n" -lt 100 ]; then
	fail no_upward_include "only $n includes found: not a git checkout?"
elif [ -z "$bad" ]; then
	pass no_upward_include
else
	fail no_upward_include "$bad"
fi
note "checked $n includes"

# Nor by a relative path (the include path decides, not the file's place).
rel=$(grep -rnE '#include "\.\./' lib afxdp vhost loader bpf user headers)
[ -z "$rel" ] && pass no_relative_include || fail no_relative_include "$rel"

kind=$(grep -nE '#include "(nic|vport|afxdp|loader)\.h"|nic_of|vport_of|port_is_nic|->nic\b' user/poller.c)
[ -z "$kind" ] && pass poller_sees_only_ports || fail poller_sees_only_ports "$kind"
exit 0
