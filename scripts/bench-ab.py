#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Two xviod binaries from one `make bench` run, side by side.

Run the bench with BENCH_BRIDGES="xvio xvio-b" and BENCH_XVIOD_B=OLD_XVIOD
(the bridges alternate within each trial), then:
    scripts/bench-ab.py build/bench > build/bench/ab.md
For each measurement: the median of each binary's trials, their min..max,
and the median of the per-trial ratios xvio / xvio-b, with its spread. A
change is within noise when the other binary's own spread covers it.
Standard library only.
"""
import json
import os
import statistics
import sys

if len(sys.argv) != 2:
    sys.exit("usage: bench-ab.py BENCH_OUT_DIR (e.g. build/bench)")
OUT = sys.argv[1]
ROWS = [json.loads(l) for l in open(os.path.join(OUT, "raw.jsonl")) if l.strip()]


def series(bridge, test, size):
    return {r.get("trial", 0): r for r in ROWS
            if r.get("bridge") == bridge and r.get("test") == test and r.get("size") == size
            and (test not in ("guest_to_nic",) or r.get("wire_napi") == "thread")}


def fmt(v):
    return f"{v / 1e6:.3f}" if v is not None else "-"


print("| measurement | new (xvio) Mpps | old (xvio-b) Mpps | new / old, per trial |")
print("|---|---|---|---|")
for test, label in (("nic_to_guest_split", "NIC -> guest (split)"),
                    ("nic_to_guest_shared", "NIC -> guest (shared)"),
                    ("nic_to_guest_shared-cfs", "NIC -> guest (shared-cfs)"), ("guest_to_nic", "guest -> NIC (threaded wire)"),
                    ("guest_to_nic_inline", "guest -> NIC (inline wire)"),
                    ("guest_to_guest", "guest -> guest")):
    for size in (64, 1514):
        a, b = series("xvio", test, size), series("xvio-b", test, size)
        if not a or not b:
            continue
        av = [r["pps"] for r in a.values()]
        bv = [r["pps"] for r in b.values()]
        rat = [a[t]["pps"] / b[t]["pps"] for t in a if t in b and b[t]["pps"]]
        ratio = (f"{statistics.median(rat):.2f} ({min(rat):.2f}..{max(rat):.2f})" if rat
                 else "- (no trial measured both)")
        print(f"| {label} {size} B | {fmt(statistics.median(av))} ({fmt(min(av))}..{fmt(max(av))}) "
              f"| {fmt(statistics.median(bv))} ({fmt(min(bv))}..{fmt(max(bv))}) | {ratio} |")
for name, key in (("zero-loss NIC -> guest 64 B", "zero_loss"),):
    a = [r["pps"] for r in ROWS if r.get("bridge") == "xvio" and r.get("test") == key]
    b = [r["pps"] for r in ROWS if r.get("bridge") == "xvio-b" and r.get("test") == key]
    if a and b:
        ratio = f"{a[0] / b[0]:.2f}" if b[0] else "- (old found no loss-free rate)"
        print(f"| {name} | {fmt(a[0])} | {fmt(b[0])} | {ratio} (one search each) |")
for br in ("xvio", "xvio-b"):
    idle = [r for r in ROWS if r.get("bridge") == br and r.get("test") == "idle"]
    lat = [r for r in ROWS if r.get("bridge") == br and r.get("test") == "latency"]
    if idle:
        print(f"\n{br}: idle bridge threads {idle[0]['threads'].get('total')} % of a core", end="")
    if lat:
        p99 = [r["rtt"].get("p99_us") for r in lat if isinstance(r.get("rtt"), dict)]
        if p99:
            print(f"; latency p99 {statistics.median(p99)} us (median of {len(p99)})", end="")
print()
