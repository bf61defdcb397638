#!/usr/bin/env python3
"""Summarise grow-bench.sh's per-run CSV: median, min and max time and the
median peak RSS of every contender, then each case against the targets
(qga-grow within 2x of the kernel floor, at least 30x faster than growpart +
the filesystem's tool).  Prints Markdown, one section per environment; with
--csv also writes the summary as CSV.

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
    "guest": "QEMU guest, TCG emulation: ratios hold, absolute times are inflated",
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
    return {
        "runs": len(ms),
        "median_ms": statistics.median(ms),
        "min_ms": min(ms),
        "max_ms": max(ms),
        "peak_rss_kib": int(statistics.median(rss)),
        "perf_count": int(statistics.median(counts)) if counts else None,
    }


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
        rank = 0 if who == "qga-grow" else 2 if who == "floor" else 1
        return (first[env], first[growth], first[fs], rank)

    summary = {key: stats(groups[key]) for key in sorted(groups, key=order)}
    has_perf = any(s["perf_count"] is not None for s in summary.values())

    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["env", "fs", "growth", "contender", "runs", "median_ms", "min_ms",
                        "max_ms", "median_peak_rss_kib", "median_perf_count"])
            for (env, fs, growth, who), s in summary.items():
                w.writerow([env, fs, growth, who, s["runs"], f"{s['median_ms']:.3f}",
                            f"{s['min_ms']:.3f}", f"{s['max_ms']:.3f}", s["peak_rss_kib"],
                            "" if s["perf_count"] is None else s["perf_count"]])

    out = sys.stdout
    for env in dict.fromkeys(k[0] for k in summary):
        out.write(f"### {ENV_TITLES.get(env, env)}\n\n")
        head = "| fs | growth | contender | runs | median ms | min ms | max ms | peak RSS KiB |"
        if has_perf:
            head += " perf count |"
        out.write(head + "\n" + "|---" * (head.count("|") - 1) + "|\n")
        cases = {}
        for (e, fs, growth, who), s in summary.items():
            if e != env:
                continue
            cases.setdefault((fs, growth), {})[who] = s
            line = (f"| {fs} | {growth} | {who} | {s['runs']} | {fmt_ms(s['median_ms'])} | "
                    f"{fmt_ms(s['min_ms'])} | {fmt_ms(s['max_ms'])} | {s['peak_rss_kib']} |")
            if has_perf:
                line += f" {s['perf_count'] if s['perf_count'] is not None else ''} |"
            out.write(line + "\n")

        out.write("\nAgainst the targets (medians): qga-grow / floor at most "
                  f"{FLOOR_TARGET:g}x, growpart+tool / qga-grow at least "
                  f"{GROWPART_TARGET:g}x.\n\n")
        out.write("| fs | growth | qga-grow ms | floor ms | qga-grow / floor | "
                  "growpart+tool ms | growpart+tool / qga-grow |\n")
        out.write("|---|---|---|---|---|---|---|\n")
        for (fs, growth), by in cases.items():
            qg = by.get("qga-grow")
            floor = by.get("floor")
            gp = next((s for w, s in by.items() if w.startswith("growpart+")), None)
            if not (qg and floor and gp):
                continue
            r_floor = qg["median_ms"] / floor["median_ms"]
            r_gp = gp["median_ms"] / qg["median_ms"]
            mark_floor = "met" if r_floor <= FLOOR_TARGET else "MISSED"
            mark_gp = "met" if r_gp >= GROWPART_TARGET else "MISSED"
            out.write(f"| {fs} | {growth} | {fmt_ms(qg['median_ms'])} | "
                      f"{fmt_ms(floor['median_ms'])} | {r_floor:.2f}x ({mark_floor}) | "
                      f"{fmt_ms(gp['median_ms'])} | {r_gp:.1f}x ({mark_gp}) |\n")
        out.write("\n")


if __name__ == "__main__":
    main()
