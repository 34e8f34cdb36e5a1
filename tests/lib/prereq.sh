#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by shell test suites: what to say when a prerequisite is missing.
#
#   prereq_missing CASE REASON
#       outside CI: "SKIP: CASE: REASON". With CI=true: "FAIL: CASE: ...",
#       so that a green CI run means every suite ran (scripts/deps.sh is
#       there to install what a suite needs; a missing piece in CI is a bug).
prereq_missing() {
	if [ "${CI:-}" = true ]; then
		echo "FAIL: $1: prerequisite missing and CI=true (a suite never skips in CI): $2"
	else
		echo "SKIP: $1: $2"
	fi
}
