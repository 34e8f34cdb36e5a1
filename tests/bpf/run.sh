#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# BPF suite: runs test_xvio_bpf in a private network namespace against a
# 4-queue veth, so that rx_queue_index and real AF_XDP sockets can be used.
# Nothing to clean up: the namespace and its links die with the process.
set -u
O=${1:?build dir}
exec unshare --net bash -c '
	set -e
	ip link set lo up
	ip link add xq0 numrxqueues 4 numtxqueues 4 type veth peer name xq1 numrxqueues 4 numtxqueues 4
	ip link set xq0 up
	ip link set xq1 up
	exec "$0"/tests/bpf/test_xvio_bpf xq0
' "$O"
