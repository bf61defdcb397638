#!/usr/bin/env python3
"""The deep-stack benchmark's tables (Markdown), from bench/stack-bench.sh's
CSV: per stack, qga-grow and the classic chain (median, min, max of their
runs), the floor (median, and its parts' medians), and the ratios against
the targets (classic / qga-grow: at least 5x on every stack, 15x on the
simple one); then qg_grow() in-process (qg-lib-grow, as qemu-ga calls it)
against the same classic chain.

    stack-summary.py STACKS.CSV
"""
import csv
import statistics
import sys

TARGET = {"plain": 15.0}  # the simple stack's; every other stack: 5x


def ms(ns):
    return ns / 1e6


def fmt(v):
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    runs = {}
    inproc = {}
    parts = {}
    order = []
    with open(sys.argv[1]) as f:
        for row in csv.DictReader(f):
            s, who = row["stack"], row["contender"]
            if s not in order:
                order.append(s)
            runs.setdefault((s, who), []).append(int(row["elapsed_ns"]))
            if row.get("inproc_ns"):
                inproc.setdefault(s, []).append(int(row["inproc_ns"]))
            if who == "floor" and row["floor_parts"]:
                items = row["floor_parts"].split()
                for name, ns in zip(items[0::2], items[1::2]):
                    parts.setdefault((s, name), []).append(int(ns))

    print("| stack | qga-grow ms (median, min-max) | classic chain ms (median, min-max) "
          "| classic / qga-grow | target | floor ms (parts) | qga-grow / floor |")
    print("|---|---|---|---|---|---|---|")
    for s in order:
        q = runs.get((s, "qga-grow"), [])
        c = runs.get((s, "classic"), [])
        fl = runs.get((s, "floor"), [])
        if not q or not c:
            continue
        qm, cm = ms(statistics.median(q)), ms(statistics.median(c))
        ratio = cm / qm
        target = TARGET.get(s, 5.0)
        met = "met" if ratio >= target else "MISSED"
        fcell, fratio = "", ""
        if fl:
            fm = ms(statistics.median(fl))
            names = [n for (st, n) in parts if st == s]
            detail = ", ".join(f"{n} {fmt(ms(statistics.median(parts[(s, n)])))}"
                               for n in names)
            fcell = f"{fmt(fm)} ({detail})"
            fratio = f"{qm / fm:.1f}x"
        print(f"| {s} | {fmt(qm)} ({fmt(ms(min(q)))}-{fmt(ms(max(q)))}, {len(q)} runs) "
              f"| {fmt(cm)} ({fmt(ms(min(c)))}-{fmt(ms(max(c)))}, {len(c)} runs) "
              f"| {ratio:.1f}x | {target:g}x ({met}) | {fcell} | {fratio} |")

    if not inproc:
        return
    print()
    print("In-process, as qemu-ga calls the library (qg-lib-grow: qg_grow() alone, no "
          "process start), against the same classic chain:")
    print()
    print("| stack | qg_grow() in-process ms (median, min-max) | qg-lib-grow process ms "
          "(median) | classic / in-process |")
    print("|---|---|---|---|")
    for s in order:
        q, c = inproc.get(s), runs.get((s, "classic"))
        if not q or not c:
            continue
        qm, cm = ms(statistics.median(q)), ms(statistics.median(c))
        whole = ms(statistics.median(runs[(s, "qga-grow-lib")]))
        print(f"| {s} | {fmt(qm)} ({fmt(ms(min(q)))}-{fmt(ms(max(q)))}, {len(q)} runs) "
              f"| {fmt(whole)} | {cm / qm:.1f}x |")


if __name__ == "__main__":
    main()
