#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make bench's report: raw.jsonl -> results.json, results.md, results.png.

Every figure is the median of its trials with min and max; ratios are
xvio / anchor (DPDK testpmd) of the medians. Standard library only; the plot
is drawn by gnuplot.
"""
import json
import os
import statistics
import subprocess
import sys

OUT = sys.argv[1]
ROWS = [json.loads(l) for l in open(os.path.join(OUT, "raw.jsonl")) if l.strip()]
SETUP = next((r for r in ROWS if r.get("test") == "setup"), {})
BRIDGES = [b for b in ("xvio", "dpdk") if any(r.get("bridge") == b for r in ROWS)]
NAMES = {"xvio": "xvio", "dpdk": "DPDK testpmd (anchor)"}


def stat(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def rows(bridge, test, size=None, placement=None):
    return [r for r in ROWS if r.get("bridge") == bridge and r.get("test") == test
            and (size is None or r.get("size") == size)
            and (placement is None or r.get("placement") == placement)]


PLACEMENTS = [p for p in ("split", "shared", "shared-cfs")
              if any(r.get("placement") == p for r in ROWS)]
_SCHED = "FIFO" if SETUP.get("gen_sched", "fifo") == "fifo" else "SCHED_OTHER"
_DUTY = SETUP.get("gen_duty", {"split": 80, "shared": 50})
PLACE = {"split": f"split: generator on CPU 1, {_SCHED}, duty {_DUTY['split']} %",
         "shared": f"shared: generator on the bridge CPU, {_SCHED}, duty {_DUTY['shared']} %",
         "shared-cfs": "shared-cfs: generator on the bridge CPU, SCHED_OTHER"}


def curve(bridge, placement, size=64, test="sweep", kind=None):
    """{rate: (median offered, median delivered)} of a sweep or a ceiling."""
    pts = {}
    for r in ROWS:
        if r.get("test") != test or r.get("placement") != placement or r.get("size") != size:
            continue
        if (kind and r.get("kind") != kind) or (not kind and r.get("bridge") != bridge):
            continue
        pts.setdefault(r["rate"], []).append((r["offered_pps"], r["pps"]))
    return {k: (statistics.median(p[0] for p in v), statistics.median(p[1] for p in v))
            for k, v in sorted(pts.items())}


def ratio(a, b):
    if not a or not b or not b["median"]:
        return None
    return a["median"] / b["median"]


res = {"setup": SETUP, "throughput": {}, "zero_loss": {}, "latency": {}, "idle_cpu": {},
       "load_cpu": {}, "ceiling": {}, "overload": {}, "targets": []}

# ---- throughput ----------------------------------------------------------------
for test in ("nic_to_guest_split", "nic_to_guest_shared", "nic_to_guest_shared-cfs",
             "guest_to_nic", "guest_to_nic_inline", "guest_to_guest"):
    for size in (64, 1514):
        entry = {}
        for b in BRIDGES:
            rs = rows(b, test, size)
            s = stat([r["pps"] for r in rs])
            if s:
                s["gbps"] = s["median"] * size * 8 / 1e9
                s["bridge_cpu"] = stat([r["threads"]["total"] for r in rs])
                s["cpu0"] = stat([r.get("cpu0") for r in rs])
                # core time per frame on the bridge's CPU
                if s["median"]:
                    s["ns_per_frame"] = s["cpu0"]["median"] / 100 * 1e9 / s["median"]
            entry[b] = s
        entry["ratio_of_medians"] = ratio(entry.get("xvio"), entry.get("dpdk"))
        # The bridges alternate within each trial: pair them, so a ratio
        # compares runs minutes apart, not the run's start and end.
        xs = {r["trial"]: r["pps"] for r in rows("xvio", test, size)}
        ds = {r["trial"]: r["pps"] for r in rows("dpdk", test, size)}
        entry["paired"] = stat([xs[t] / ds[t] for t in xs if t in ds and ds[t]])
        entry["ratio"] = entry["paired"]["median"] if entry["paired"] else entry["ratio_of_medians"]
        if any(entry.get(b) for b in BRIDGES):
            res["throughput"][f"{test}/{size}"] = entry

for b in BRIDGES:
    zl = rows(b, "zero_loss")
    if zl:
        res["zero_loss"][b] = zl[-1]["pps"]
    idle = rows(b, "idle")
    if idle:
        res["idle_cpu"][b] = {"bridge_threads_pct": idle[-1]["threads"]["total"],
                              "cpu0_pct": idle[-1]["cpu0"]}
for b in ("xvio", "xvio-busy", "dpdk"):
    lat = [r["rtt"] for r in ROWS if r.get("test") == "latency" and r.get("bridge") == b]
    if lat:
        res["latency"][b] = {k: stat([l[k] for l in lat if l["received"]])
                             for k in ("p50_us", "p99_us", "p999_us")}
        res["latency"][b]["lost"] = sum(l["sent"] - l["received"] for l in lat)
        res["latency"][b]["rate_pps"] = next(r["rate_pps"] for r in ROWS
                                             if r.get("test") == "latency" and r.get("bridge") == b)


# ---- ceilings and overload, per placement --------------------------------------
for pl in PLACEMENTS:
    c = {}
    for kind in ("afxdp", "xdp_drop"):
        cv = curve(None, pl, test="ceiling", kind=kind)
        if cv:
            c[kind] = max(v[1] for v in cv.values())
    key = f"nic_to_guest_{pl}/64"
    for b in BRIDGES:
        t = res["throughput"].get(key, {}).get(b)
        if t and c.get("afxdp"):
            c[f"{b}_of_afxdp"] = t["median"] / c["afxdp"]
    res["ceiling"][pl] = c
    for b in BRIDGES:
        cv = curve(b, pl)
        if not cv:
            continue
        peak_rate, (peak_off, peak) = max(cv.items(), key=lambda kv: kv[1][1])
        # Past the peak, judged on what the generator sent (it sends less
        # than asked once its share of the CPU is used up): the first point
        # offered 3x the peak or more; else the most offered one, and the
        # overload is "not reached".
        after = {r: v for r, v in cv.items() if r > peak_rate}
        over = [r for r, v in after.items() if peak and v[0] >= 3 * peak]
        if over:
            at = min(over, key=lambda r: after[r][0])
        elif after:
            at = max(after, key=lambda r: after[r][0])
        else:
            at = peak_rate
        res["overload"].setdefault(pl, {})[b] = {
            "peak_pps": peak, "peak_at_rate": peak_rate, "rate": at, "reached": bool(over),
            "offered_pps": cv[at][0], "times_peak": cv[at][0] / peak if peak else 0.0,
            "delivered_pps": cv[at][1], "fraction_of_peak": cv[at][1] / peak if peak else 0.0}

# ---- targets -------------------------------------------------------------------
def target(name, ok, detail):
    res["targets"].append({"target": name, "met": ok, "detail": detail})


for test, label in (("guest_to_nic/64", "guest -> NIC (wire NAPI threaded)"),
                    ("guest_to_nic_inline/64", "guest -> NIC (wire NAPI inline)"),
                    ("nic_to_guest_split/64", "NIC -> guest, placement split"),
                    ("nic_to_guest_shared/64", "NIC -> guest, placement shared"),
                    ("nic_to_guest_shared-cfs/64", "NIC -> guest, placement shared-cfs")):
    if test not in res["throughput"]:
        continue
    r = res["throughput"][test]["ratio"]
    target(f"{label} 64 B throughput >= 1.3x anchor", r is not None and r >= 1.3,
           "ratio %s" % (f"{r:.2f}" if r else "n/a"))
for pl, o in res["overload"].items():
    x = o.get("xvio")
    if not x:
        continue
    detail = (f"{x['delivered_pps'] / 1e6:.3f} Mpps with {x['offered_pps'] / 1e6:.3f} Mpps "
              f"offered ({x['times_peak']:.1f}x the peak of {x['peak_pps'] / 1e6:.3f}; "
              f"{x['rate'] / 1e6:g} Mpps asked) = {100 * x['fraction_of_peak']:.0f} %")
    if not x["reached"]:
        detail = "not reached, the generator offered at most: " + detail
    target(f"NIC -> guest at 3x its peak offered still >= 90 % of peak ({pl})",
           x["reached"] and x["fraction_of_peak"] >= 0.9, detail)
xmax = res["throughput"].get("nic_to_guest_split/64", {}).get("xvio")
if "xvio" in res["zero_loss"] and xmax:
    frac = res["zero_loss"]["xvio"] / xmax["median"]
    target("zero-loss rate >= 80 % of xvio's peak (NIC -> guest 64 B, split)", frac >= 0.8,
           f"{res['zero_loss']['xvio']:.0f} of {xmax['median']:.0f} pps = {100 * frac:.0f} %")
if "xvio" in res["idle_cpu"]:
    v = res["idle_cpu"]["xvio"]["bridge_threads_pct"]
    target("idle CPU <= 1 % (adaptive)", v <= 1.0, f"{v:.1f} % of a core")
if "xvio" in res["latency"] and "dpdk" in res["latency"]:
    a = res["latency"]["xvio"]["p99_us"]["median"]
    d = res["latency"]["dpdk"]["p99_us"]["median"]
    target("latency p99 no worse than anchor (adaptive)", a <= d, f"{a:.0f} us vs {d:.0f} us")
    if "xvio-busy" in res["latency"]:
        a = res["latency"]["xvio-busy"]["p99_us"]["median"]
        target("latency p99 no worse than anchor (--poll busy)", a <= d,
               f"{a:.0f} us vs {d:.0f} us")

json.dump(res, open(os.path.join(OUT, "results.json"), "w"), indent=1)


# ---- Markdown ------------------------------------------------------------------
def fmt(s, scale=1e6, unit="", digits=3):
    if not s:
        return "n/a"
    return f"{s['median'] / scale:.{digits}f}{unit} ({s['min'] / scale:.{digits}f}-{s['max'] / scale:.{digits}f})"


LABELS = {"guest_to_nic": "guest to NIC, wire NAPI threaded on CPU 0",
          "guest_to_nic_inline": "guest to NIC, wire NAPI inline (softirq per frame)",
          "nic_to_guest_split": "NIC to guest, generator on CPU 1 (split)",
          "nic_to_guest_shared": "NIC to guest, generator on the bridge's CPU, FIFO (shared)",
          "nic_to_guest_shared-cfs": "NIC to guest, generator on the bridge's CPU, CFS (shared-cfs)",
          "guest_to_guest": "guest to guest"}
md = []
md.append(f"# xvio bench, {SETUP.get('kernel', '?')}, {SETUP.get('cpus', '?')} CPUs "
          f"({SETUP.get('cpu_model', '?')}), DPDK {SETUP.get('dpdk', '?')}")
md.append("")
md.append("Core placement: " + "; ".join(f"{k}: {v}" for k, v in SETUP.get("placement", {}).items()))
md.append(f"Trials: {SETUP.get('trials')} per figure, median (min-max). Frame sizes exclude the FCS.")
md.append("")
md.append("xvio / anchor is the median of the per-trial ratios (the bridges alternate "
          "within each trial), with their min-max.")
md.append("")
md.append("| path | size | xvio Mpps | anchor Mpps | xvio / anchor | xvio Gbit/s | anchor Gbit/s "
          "| bridge CPU xvio / anchor | core ns per frame xvio / anchor |")
md.append("|---|---|---|---|---|---|---|---|---|")
for key, e in res["throughput"].items():
    test, size = key.split("/")
    x, d = e.get("xvio"), e.get("dpdk")
    md.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        LABELS.get(test, test.replace("_", " ")), size, fmt(x), fmt(d),
        (f"{e['ratio']:.2f}" + (f" ({e['paired']['min']:.2f}-{e['paired']['max']:.2f})"
                                 if e.get("paired") else "")) if e["ratio"] else "n/a",
        f"{x['gbps']:.2f}" if x else "n/a", f"{d['gbps']:.2f}" if d else "n/a",
        " / ".join(f"{s['bridge_cpu']['median']:.0f} %" if s else "n/a" for s in (x, d)),
        " / ".join(f"{s['ns_per_frame']:.0f}" if s and s.get("ns_per_frame") else "n/a"
                   for s in (x, d))))
md.append("")
if res["ceiling"]:
    md.append("| NIC -> guest 64 B ceilings | bare AF_XDP consumer | bare XDP_DROP | xvio peak / AF_XDP | anchor peak / AF_XDP |")
    md.append("|---|---|---|---|---|")
    for pl, c in res["ceiling"].items():
        md.append("| %s | %s | %s | %s | %s |" % (
            PLACE[pl], *(f"{c[k] / 1e6:.3f} Mpps" if k in c else "n/a" for k in ("afxdp", "xdp_drop")),
            *(f"{100 * c[k]:.0f} %" if k in c else "n/a" for k in ("xvio_of_afxdp", "dpdk_of_afxdp"))))
    md.append("")
if res["overload"]:
    md.append("| overload, 64 B | bridge | peak | offered (x peak) | asked | delivered | of peak |")
    md.append("|---|---|---|---|---|---|---|")
    for pl, o in res["overload"].items():
        for b, x in o.items():
            md.append(f"| {pl} | {NAMES[b]} | {x['peak_pps'] / 1e6:.3f} Mpps | "
                      f"{x['offered_pps'] / 1e6:.3f} Mpps ({x['times_peak']:.1f}x"
                      f"{'' if x['reached'] else ', < 3x'}) | {x['rate'] / 1e6:g} Mpps | "
                      f"{x['delivered_pps'] / 1e6:.3f} Mpps | {100 * x['fraction_of_peak']:.0f} % |")
    md.append("")
if res["zero_loss"]:
    md.append("Zero-loss rate (NIC -> guest, 64 B, %s s trials, binary search): %s" % (
        next((r["trial_secs"] for r in ROWS if r.get("test") == "zero_loss"), "?"),
        ", ".join(f"{NAMES[b]} {v / 1e6:.3f} Mpps" for b, v in res["zero_loss"].items())))
    md.append("")
if res["latency"]:
    md.append("| round trip (NIC -> guest macswap -> NIC) | rate | p50 us | p99 us | p99.9 us | lost |")
    md.append("|---|---|---|---|---|---|")
    for b, l in res["latency"].items():
        md.append(f"| {b} | {l['rate_pps']} pps | {fmt(l['p50_us'], 1, '', 0)} | "
                  f"{fmt(l['p99_us'], 1, '', 0)} | {fmt(l['p999_us'], 1, '', 0)} | {l['lost']} |")
    md.append("")
if res["idle_cpu"]:
    md.append("Idle CPU of the bridge (guest attached, no traffic): " + ", ".join(
        f"{NAMES[b]} {v['bridge_threads_pct']:.1f} % of a core" for b, v in res["idle_cpu"].items()))
    md.append("")
md.append("| target | met | measured |")
md.append("|---|---|---|")
for t in res["targets"]:
    md.append(f"| {t['target']} | {'yes' if t['met'] else 'NO'} | {t['detail']} |")
md.append("")
md.append("![throughput against offered load](results.png)")
open(os.path.join(OUT, "results.md"), "w").write("\n".join(md) + "\n")

# ---- plot ----------------------------------------------------------------------
dat = os.path.join(OUT, "sweep.dat")
series = []  # (placement, title)
with open(dat, "w") as f:
    for pl in PLACEMENTS:
        for what in [("bridge", b) for b in BRIDGES] + [("ceiling", "afxdp"), ("ceiling", "xdp_drop")]:
            cv = (curve(what[1], pl) if what[0] == "bridge"
                  else curve(None, pl, test="ceiling", kind=what[1]))
            title = (NAMES[what[1]] if what[0] == "bridge" else
                     {"afxdp": "ceiling: bare AF_XDP consumer", "xdp_drop": "ceiling: XDP_DROP"}[what[1]])
            f.write(f"# {pl} {title}\n")
            for rate, (off, got) in sorted(cv.items(), key=lambda kv: kv[1][0]):
                f.write("%f %f %f\n" % (rate / 1e6, off / 1e6, got / 1e6))
            f.write("\n\n")
            series.append((pl, title))
panels = []
for pl in PLACEMENTS:
    # x: what the generator sent, not what it was asked for (past its
    # share of the CPU it sends less)
    plots = ", ".join(f"'{dat}' index {i} using 2:3 with linespoints title '{t}'"
                      for i, (p, t) in enumerate(series) if p == pl)
    panels.append(f"set title '{PLACE[pl]}'\nplot {plots}, x title 'delivered = offered' dashtype 2")
gp = f"""set terminal png size {500 * max(1, len(PLACEMENTS))},480 noenhanced
set output '{os.path.join(OUT, "results.png")}'
set multiplot layout 1,{max(1, len(PLACEMENTS))} title 'NIC -> guest, 64 B, veth; bridge on CPU 0, guest on CPU 1 (median of trials)'
set xlabel 'offered: sent by the generator (Mpps)'
set ylabel 'delivered (Mpps)'
set key top left font ',9'
set grid
set xrange [0:*]
set yrange [0:*]
{chr(10).join(panels)}
unset multiplot
"""
subprocess.run(["gnuplot"], input=gp.encode(), check=True)
print(f"bench: wrote {OUT}/results.md, results.json, results.png")
