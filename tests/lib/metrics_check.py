#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Scrape xviod's /metrics and check it against `xvioctl --json stats` read
just before and just after: every number in the JSON is one sample with the
expected name, labels and type, and a value between the two reads (the
pollers' loop counters, which move by themselves, by name only); there is
no sample the JSON lacks. Prints what differs; exit 0 when nothing does.

Usage: metrics_check.py URL XVIOCTL CTL_SOCKET"""
import json
import re
import subprocess
import sys
import urllib.request

IDS = ("port", "vq", "queue", "id")
GAUGES = ("umem_frames", "umem_free", "umem_fill", "umem_tx", "cpu")
MOVING = ("loops", "sleeps", "wakeups")


def expected(doc):
    """(name, labels) -> (value, type) for every number in the stats JSON."""
    out = {}

    def walk(node, segs, labels, key=None):
        if isinstance(node, list):
            seg = key[:-1] if key and key.endswith("s") else key
            for item in node:
                walk(item, segs + ([seg] if seg else []), labels)
            return
        if isinstance(node, dict):
            if key is not None:
                segs = segs + [key]
            here = dict(labels)
            for k, v in node.items():
                if isinstance(v, str) or (k in IDS and isinstance(v, int)):
                    here[k] = str(v)
            for k, v in node.items():
                if isinstance(v, (dict, list)):
                    walk(v, segs, here, k)
                elif isinstance(v, (int, float, bool)) and k not in IDS:
                    gauge = isinstance(v, bool) or k in GAUGES
                    lab = dict(here)
                    fam = "_".join(["xvio"] + segs + ["drops" if k.startswith("drop_") else k])
                    if k.startswith("drop_"):
                        lab["reason"] = k[5:]
                    name = fam if gauge else fam + "_total"
                    out[(name, tuple(sorted(lab.items())))] = (float(v), "gauge" if gauge else "counter", k)
    walk(doc, [], {})
    return out


def scraped(text):
    samples, types = {}, {}
    for line in text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)$", line)
        if m:
            types[m.group(1)] = m.group(2)
            continue
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$', line)
        if not m:
            raise SystemExit("unparsable line: " + line)
        labels = tuple(sorted(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2))))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples, types


def main():
    url, xc, ctl = sys.argv[1], sys.argv[2], sys.argv[3]

    def stats():
        return json.loads(subprocess.run([xc, "--ctl", ctl, "--json", "stats"], check=True,
                                         capture_output=True, text=True).stdout)
    want = expected(stats())
    resp = urllib.request.urlopen(url, timeout=5)
    ctype = resp.headers.get("Content-Type", "")
    got, types = scraped(resp.read().decode())
    want_after = expected(stats())
    bad = []
    if not ctype.startswith("text/plain; version=0.0.4"):
        bad.append("content type " + ctype)
    for key, (val, typ, field) in want.items():
        if key not in got:
            bad.append("missing %s%s" % key)
            continue
        # 0.0.4: the TYPE line names what the samples are called
        fam = key[0]
        if types.get(fam) != typ:
            bad.append("%s: TYPE %s, want %s" % (fam, types.get(fam), typ))
        hi = want_after.get(key, (val,))[0]
        if field not in MOVING and not min(val, hi) <= got[key] <= max(val, hi):
            bad.append("%s%s = %s, stats say %s then %s" % (key[0], key[1], got[key], val, hi))
    for key in got:
        if key not in want:
            bad.append("extra sample %s%s" % key)
    print("%d samples, %d families" % (len(got), len(types)))
    for b in bad[:20]:
        print(b)
    sys.exit(1 if bad else 0)


main()
