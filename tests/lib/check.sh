#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by shell test suites: define pass() and fail() first, then
#   expect NAME STATUS PATTERN CMD...
# runs CMD, and passes when it exits with STATUS and its output (stdout and
# stderr) matches PATTERN (grep -E).
expect() {
	local name=$1 want=$2 pat=$3 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$name" "exit $rc, want $want: $out"
	elif ! echo "$out" | grep -Eq -- "$pat"; then
		fail "$name" "output lacks /$pat/: $out"
	else
		pass "$name"
	fi
}
