#!/usr/bin/env python3
"""Summarise grow-bench.sh's per-run CSV: median, min and max time and the
median peak RSS of every contender, then each case against the targets
(qga-grow within 2x of the kernel floor, at least 30x faster than growpart +
the filesystem's tool), as whole processes and in-process (qg_grow() against
the floor's open + ioctl).  Prints Markdown, one section per environment;
with --csv also writes the summary as CSV.

    summarize.py [--csv SUMMARY.csv] RAW.csv...
"""
import argparse
import csv
import statistics
import sys

FLOOR_TARGET = 2.0     # qga-grow / floor, at most
GROWPART_TARGET = 30.0  # growpart+tool / qga-grow, at least

ENV_TITLES = {
    "host": "host (xfs, btrfs: this host's root cannot grow a mounted ext4)",
    "guest": ("QEMU guest, TCG emulation: all times inflated, process start and "
              "user-space work more than kernel work (see BENCHMARKS.md)"),
}


def load(paths):
    groups = {}  # (env, fs, growth, contender) -> list of rows, in file order
    for path in paths:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                key = (row["env"], row["fs"], row["growth"], row["contender"])
                groups.setdefault(key, []).append(row)
    return groups


def stats(rows):
    ms = [int(r["elapsed_ns"]) / 1e6 for r in rows]
    rss = [int(r["peak_rss_kib"]) for r in rows]
    counts = [int(float(r["perf_count"])) for r in rows if r["perf_count"]]
    inproc = [int(r["inproc_ns"]) / 1e6 for r in rows if r["inproc_ns"]]
    return {
        "inproc_ms": statistics.median(inproc) if inproc else None,
        "runs": len(ms),
        "median_ms": statistics.median(ms),
        "min_ms": min(ms),
        "max_ms": max(ms),
        "peak_rss_kib": int(statistics.median(rss)),
        "perf_count": int(statistics.median(counts)) if counts else None,
    }


def verdict(ratio, target, at_least):
    met = ratio >= target if at_least else ratio <= target
    return f"{ratio:.2f}x ({'met' if met else 'MISSED'})"


def fmt_ms(v):
    return f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", help="also write the summary here")
    ap.add_argument("raw", nargs="+")
    args = ap.parse_args()

    groups = load(args.raw)
    # Cases in the order they ran; within one, always the same contender order.
    first = {}
    for env, fs, growth, _ in groups:
        for part in (env, growth, fs):
            first.setdefault(part, len(first))

    def order(key):
        env, fs, growth, who = key
        rank = {"qga-grow": 0, "qga-grow-lib": 1, "floor": 3}.get(who, 2)
        return (first[env], first[growth], first[fs], rank)

    summary = {key: stats(groups[key]) for key in sorted(groups, key=order)}
    has_perf = any(s["perf_count"] is not None for s in summary.values())

    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["env", "fs", "growth", "contender", "runs", "median_ms", "min_ms",
                        "max_ms", "median_peak_rss_kib", "median_inproc_ms",
                        "median_perf_count"])
            for (env, fs, growth, who), s in summary.items():
                w.writerow([env, fs, growth, who, s["runs"], f"{s['median_ms']:.3f}",
                            f"{s['min_ms']:.3f}", f"{s['max_ms']:.3f}", s["peak_rss_kib"],
                            "" if s["inproc_ms"] is None else f"{s['inproc_ms']:.3f}",
                            "" if s["perf_count"] is None else s["perf_count"]])

    out = sys.stdout
    for env in dict.fromkeys(k[0] for k in summary):
        out.write(f"### {ENV_TITLES.get(env, env)}\n\n")
        head = ("| fs | growth | contender | runs | median ms | min ms | max ms | "
                "peak RSS KiB | in-process ms |")
        if has_perf:
            head += " perf count |"
        out.write(head + "\n" + "|---" * (head.count("|") - 1) + "|\n")
        cases = {}
        for (e, fs, growth, who), s in summary.items():
            if e != env:
                continue
            cases.setdefault((fs, growth), {})[who] = s
            line = (f"| {fs} | {growth} | {who} | {s['runs']} | {fmt_ms(s['median_ms'])} | "
                    f"{fmt_ms(s['min_ms'])} | {fmt_ms(s['max_ms'])} | {s['peak_rss_kib']} | "
                    f"{'' if s['inproc_ms'] is None else fmt_ms(s['inproc_ms'])} |")
            if has_perf:
                line += f" {s['perf_count'] if s['perf_count'] is not None else ''} |"
            out.write(line + "\n")

        out.write("\nAgainst the targets (medians): qga-grow / floor at most "
                  f"{FLOOR_TARGET:g}x, growpart+tool / qga-grow at least "
                  f"{GROWPART_TARGET:g}x.  Processes: each whole command as timed "
                  "by qg-bench-exec; in-process: qg_grow() against the floor's "
                  "open + ioctl.\n\n")
        out.write("| fs | growth | qga-grow ms | floor ms | qga-grow / floor | "
                  "growpart+tool ms | growpart+tool / qga-grow | in-process qg_grow() ms | "
                  "in-process floor ms | in-process / floor |\n")
        out.write("|---" * 10 + "|\n")
        for (fs, growth), by in cases.items():
            qg, lib, floor = by.get("qga-grow"), by.get("qga-grow-lib"), by.get("floor")
            gp = next((s for w, s in by.items() if w.startswith("growpart+")), None)
            if not (qg and floor and gp):
                continue
            cells = [fs, growth, fmt_ms(qg["median_ms"]), fmt_ms(floor["median_ms"]),
                     verdict(qg["median_ms"] / floor["median_ms"], FLOOR_TARGET, False),
                     fmt_ms(gp["median_ms"]),
                     verdict(gp["median_ms"] / qg["median_ms"], GROWPART_TARGET, True)]
            if lib and lib["inproc_ms"] and floor["inproc_ms"]:
                cells += [fmt_ms(lib["inproc_ms"]), fmt_ms(floor["inproc_ms"]),
                          verdict(lib["inproc_ms"] / floor["inproc_ms"], FLOOR_TARGET, False)]
            else:
                cells += ["", "", ""]
            out.write("| " + " | ".join(cells) + " |\n")
        out.write("\n")


if __name__ == "__main__":
    main()
