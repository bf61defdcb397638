#!/usr/bin/env python3
"""Median stage times of several contenders, from qg-stage-timer.so's files
(one file a run; lines "STAGE CALLS MICROSECONDS"), as a Markdown table.
Each cell is the median of its own row, so a column need not add up.

    stages.py NAME FILE... [-- NAME FILE...]...
"""
import statistics
import sys

NESTED = {"fsync-nested"}  # already inside the library call around it


def read_run(path):
    run = {}
    with open(path) as f:
        for line in f:
            stage, calls, us = line.split()
            run[stage.replace("~", " ")] = (int(calls), float(us))
    return run


def parse_args(argv):
    groups, cur = [], None
    for a in argv:
        if a == "--":
            cur = None
        elif cur is None:
            cur = (a, [])
            groups.append(cur)
        else:
            cur[1].append(a)
    return groups


def main():
    groups = parse_args(sys.argv[1:])
    if not groups or any(not files for _, files in groups):
        sys.exit(__doc__)
    stages, columns = [], []
    for name, files in groups:
        runs = [read_run(p) for p in files]
        col = {}
        for run in runs:
            listed = sum(us for s, (_, us) in run.items()
                         if s not in NESTED and s not in ("startup", "main"))
            run["other (main minus the stages above)"] = (0, run["main"][1] - listed)
            run["total (startup + main)"] = (0, run.get("startup", (0, 0))[1] + run["main"][1])
            for s in run:
                if s not in stages:
                    stages.append(s)
        for s in stages:
            vals = [run[s] for run in runs if s in run]
            if vals:
                col[s] = (statistics.median(c for c, _ in vals),
                          statistics.median(us for _, us in vals))
        columns.append((f"{name} ({len(runs)} runs)", col))

    # startup and main first, the derived rows last
    order = [s for s in stages if s in ("startup", "main")]
    order += [s for s in stages if s not in order and not s.startswith(("other", "total"))]
    order += [s for s in stages if s.startswith(("other", "total"))]
    print("| stage | " + " | ".join(c for c, _ in columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for s in order:
        cells = []
        for _, col in columns:
            if s not in col or (col[s][0] == 0 and col[s][1] == 0):
                cells.append("")
            elif col[s][0] and s not in ("startup", "main"):
                cells.append(f"{col[s][1]:.0f} ({col[s][0]:g}x)")
            else:
                cells.append(f"{col[s][1]:.0f}")
        label = f"{s} (nested)" if s in NESTED else s
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
