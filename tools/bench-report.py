#!/usr/bin/env python3
"""Runs StructQL's benchmark binary and prints the results as Markdown tables.

Per storage (in-memory, WAL file, PostgreSQL when the binary ran it) and workload: the median
time per operation of each implementation and its ratio to (a), hand-written sqlite3 (libpq on
PostgreSQL) with statements prepared once; then the targets of docs/benchmarks.md, met or
missed; then the peak RSS of loading 100,000 rows through each implementation (the binary's
--rss mode, one process per implementation). PostgreSQL rows are always wall time: most of
their work is in the server's process, which the benchmark thread's CPU time does not count.

  tools/bench-report.py --binary build/bench/benchmarks/structql_benchmarks
  tools/bench-report.py --repetitions 3 --filter 'memory/load_all'
  tools/bench-report.py --from-json results.json     # the tables again, without running
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

FLOOR = "a_sqlite3_prepared"
FLOORS = {"postgresql": "a_libpq_prepared"}  # per storage; FLOOR elsewhere
VALUES = "d_structql_values"
SESSION = "e_structql_session"
ROW_LOOP = "a_sqlite3_row_loop"  # (a) as a one-row INSERT per row, insert_batch_commit only
STORAGE_TITLES = {"memory": "In memory", "wal": "WAL file", "postgresql": "PostgreSQL (wall time)"}
WALL_TIME_STORAGES = {"postgresql"}
# Rows in this order whatever order the (interleaved) run reported them in.
WORKLOADS = ["insert_one_by_one", "insert_batch", "get_by_pk", "load_all", "trivial_query", "medium_complex_query",
             "loading_associations_sequentially", "update_by_pk", "delete_by_pk", "insert_batch_commit",
             "load_update_commit"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default="build/bench/benchmarks/structql_benchmarks")
    p.add_argument("--repetitions", type=int, default=5, help="runs of each benchmark; the median is reported (5)")
    p.add_argument("--filter", help="a --benchmark_filter regular expression")
    p.add_argument("--min-time", type=float, help="--benchmark_min_time in seconds per repetition")
    p.add_argument("--time", choices=["cpu", "real"], default="cpu",
                   help="CPU time of the benchmark thread (default: robust on a shared machine) or wall time")
    p.add_argument("--no-interleave", action="store_true",
                   help="run each benchmark's repetitions back to back instead of randomly interleaved")
    p.add_argument("--rss-rows", type=int, default=100_000)
    p.add_argument("--no-rss", action="store_true", help="skip the peak RSS measurement")
    p.add_argument("--smoke", action="store_true", help="pass --smoke: a few hundred rows per workload")
    p.add_argument("--json-out", help="also save the raw results here (for --from-json)")
    p.add_argument("--from-json", help="print the tables of a saved run instead of running")
    return p.parse_args()


def run_benchmarks(args):
    cmd = [args.binary, f"--benchmark_repetitions={args.repetitions}", "--benchmark_format=json",
           "--benchmark_report_aggregates_only=true"]
    if args.filter:
        cmd.append(f"--benchmark_filter={args.filter}")
    if args.min_time is not None:
        cmd.append(f"--benchmark_min_time={args.min_time}")
    if not args.no_interleave:
        # Repetitions of all benchmarks in random order: a noisy minute on a shared machine
        # then touches every implementation alike instead of a few benchmarks.
        cmd.append("--benchmark_enable_random_interleaving=true")
    if args.smoke:
        cmd.append("--smoke")
    print("running: " + " ".join(cmd), file=sys.stderr)
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if not done.stdout.strip():
        sys.exit(f"{args.binary} printed no results (exit status {done.returncode})")
    results = json.loads(done.stdout)
    results["exit_status"] = done.returncode
    return results


def measure_rss(args):
    names = subprocess.run([args.binary, "--list-implementations"], stdout=subprocess.PIPE, text=True,
                           check=True).stdout.split()
    rows = []
    for name in names:
        done = subprocess.run([args.binary, f"--rss={name}", f"--rss-rows={args.rss_rows}"], stdout=subprocess.PIPE,
                              text=True)
        line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "{}"
        figures = json.loads(line)
        figures["ok"] = done.returncode == 0
        figures.setdefault("implementation", name)
        rows.append(figures)
    return rows


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], stdout=subprocess.PIPE, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def collect(results, time_kind):
    """{(storage, workload): {implementation: seconds or None (failed)}} from medians (or single
    runs), the order of first appearance, and the coefficients of variation between repetitions."""
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    table, cv, order = {}, {}, []
    have_aggregates = any(b.get("run_type") == "aggregate" for b in results["benchmarks"])
    for b in results["benchmarks"]:
        name = b.get("run_name", b["name"]).removesuffix("/real_time")  # PostgreSQL's UseRealTime()
        storage, rest = name.split("/", 1)
        workload, impl = rest.rsplit("/", 1)
        key = (storage, workload)
        if key not in table:
            table[key] = {}
            order.append(key)
        aggregate = b.get("aggregate_name") if b.get("run_type") == "aggregate" else None
        kind = "real" if storage in WALL_TIME_STORAGES else time_kind
        if b.get("error_occurred"):
            table[key][impl] = None
        elif aggregate == "cv":
            cv[(key, impl)] = b[f"{kind}_time"]
        elif aggregate == "median" or not have_aggregates:
            table[key][impl] = b[f"{kind}_time"] * scale[b.get("time_unit", "ns")]
    return table, sorted(order, key=row_rank), cv


def row_rank(key):
    storage, workload = key
    base, _, size = workload.partition("/")
    storages = list(STORAGE_TITLES)
    return (storages.index(storage) if storage in storages else len(storages),
            WORKLOADS.index(base) if base in WORKLOADS else len(WORKLOADS), int(size) if size.isdigit() else 0, workload)


def fmt_time(seconds):
    if seconds is None:
        return "FAILED"
    for unit, factor in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= factor:
            return f"{seconds / factor:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def ratio(value, floor):
    if value is None or not floor:
        return None
    return value / floor


def implementations_of(table, storage):
    return sorted({impl for (s, _), row in table.items() if s == storage for impl in row})


NOISY = 0.10  # a coefficient of variation above this marks a cell


def markdown_tables(table, order, cv):
    out = []
    for storage in dict.fromkeys(s for s, _ in order):
        impls = implementations_of(table, storage)
        floor_name = FLOORS.get(storage, FLOOR)
        out.append(f"### {STORAGE_TITLES.get(storage, storage)}\n")
        out.append("| workload | " + " | ".join(impls) + " |")
        out.append("|---|" + "---:|" * len(impls))
        for key in order:
            if key[0] != storage:
                continue
            row = table[key]
            floor = row.get(floor_name)
            cells = []
            for impl in impls:
                value = row.get(impl)
                text = fmt_time(value) if impl in row else "—"
                r = ratio(value, floor)
                if r is not None and impl != floor_name:
                    text += f" ({r:.2f}x)"
                if cv.get((key, impl), 0) > NOISY:
                    text += " *"
                cells.append(text)
            out.append(f"| {key[1]} | " + " | ".join(cells) + " |")
        out.append("")
    if any(v > NOISY for v in cv.values()):
        out.append(f"\\* the repetitions of this cell varied by more than {NOISY:.0%} (coefficient of variation).\n")
    return out


def check_targets(table, order):
    """The targets of docs/benchmarks.md, each with its misses."""
    lines = []

    def verdict(title, misses, total):
        state = "met" if not misses and total else ("no data" if not total else "MISSED")
        lines.append(f"- **{title}**: {state}" + (f" ({len(misses)} of {total})" if misses else ""))
        for m in misses:
            lines.append(f"  - {m}")

    def rows_with(*impls):
        for key in order:
            row = table[key]
            if all(i in row for i in impls):
                yield key, row

    def within(impl, limit, workloads=None, title=None):
        misses, total = [], 0
        for (storage, workload), row in rows_with(FLOOR, impl):
            if workloads is not None and workload not in workloads:
                continue
            total += 1
            r = ratio(row[impl], row[FLOOR])
            if r is None or r > limit:
                misses.append(f"{storage}/{workload}: {'failed' if r is None else f'{r:.2f}x'}")
        verdict(title or f"{impl} within {limit}x of (a) on every workload", misses, total)

    within(VALUES, 1.05)

    for other in ("b_sqlite3_unprepared", "c_sqlitecpp"):
        misses, total = [], 0
        for (storage, workload), row in rows_with(VALUES, other):
            total += 1
            d, o = row[VALUES], row[other]
            if d is None or o is None or d >= o:
                misses.append(f"{storage}/{workload}: (d) {fmt_time(d)} vs {fmt_time(o)}")
        verdict(f"{VALUES} faster than {other} on every workload", misses, total)

    misses, total = [], 0
    for (storage, workload), row in rows_with(VALUES):
        loop = table.get((storage, "insert_one_by_one"), {}).get(FLOOR)
        if not re.fullmatch(r"insert_batch/\d+", workload) or workload == "insert_batch/1" or storage in FLOORS:
            continue
        total += 1
        if loop is None or row[VALUES] is None or row[VALUES] >= loop:
            misses.append(f"{storage}/{workload}: {fmt_time(row[VALUES])} vs (a) row by row {fmt_time(loop)}")
    verdict(f"batched inserts ({VALUES}, batches of 10 to 100) faster than (a)'s row-by-row loop", misses, total)

    within(SESSION, 1.5)

    # Issue #14's targets, on the workloads it names (SQLite; (a) is the floor).
    inserts = ["insert_one_by_one", "insert_batch_commit/100"]
    within(SESSION, 1.2, inserts + ["get_by_pk", "load_update_commit"],
           f"#14: {SESSION} within 1.2x of (a) on insert_one_by_one, insert_batch_commit/100, get_by_pk, "
           "load_update_commit")
    within(SESSION, 1.0, inserts, f"#14: {SESSION} at most 1.0x of (a) on the insert workloads")
    misses, total = [], 0
    for (storage, workload), row in rows_with(SESSION, ROW_LOOP):
        total += 1
        r = ratio(row[SESSION], row[ROW_LOOP])
        if r is None or r > 1.0:
            misses.append(f"{storage}/{workload}: {'failed' if r is None else f'{r:.2f}x'}")
    verdict(f"#14: {SESSION} at most 1.0x of (a)'s row loop ({ROW_LOOP}: one-row INSERTs, the same transactions)",
            misses, total)
    within(VALUES, 1.05, ["insert_one_by_one", "get_by_pk", "update_by_pk"],
           f"#14: {VALUES} within 1.05x of (a) on per-row insert, get by key, per-row update")
    within(VALUES, 1.0, ["insert_batch/100", "insert_batch_commit/100"],
           f"#14: {VALUES}'s connection.insert(batch of 100) at most 1.0x of one hand-written 100-row INSERT")
    # Issue #16: users -> posts -> comments through the session's relationships (load_children
    # twice, then children() navigation) against the hand-written three queries grouped in memory.
    within(SESSION, 1.1, ["loading_associations_sequentially"],
           f"#16: {SESSION} through relationships within 1.1x of (a) on loading_associations_sequentially")
    return lines


def rss_table(rss):
    floor = next((r for r in rss if r.get("implementation") == FLOOR), None)
    floor_growth = (floor["peak_kib"] - floor["baseline_kib"]) if floor and "peak_kib" in floor else None
    rows = rss[0].get("rows", "?") if rss else "?"
    out = [f"Peak RSS of loading {rows:,} users into memory (WAL file, one process per implementation; "
           "VmHWM, and its growth over VmRSS with the database open):\n",
           "| implementation | peak RSS | growth while loading | growth vs (a) |", "|---|---:|---:|---:|"]
    for r in rss:
        if not r.get("ok") or "peak_kib" not in r:
            out.append(f"| {r.get('implementation')} | FAILED | | |")
            continue
        growth = r["peak_kib"] - r["baseline_kib"]
        vs = f"{growth / floor_growth:.2f}x" if floor_growth else ""
        out.append(f"| {r['implementation']} | {r['peak_kib'] / 1024:.1f} MiB | {growth / 1024:.1f} MiB | {vs} |")
    out.append("")
    return out


def main():
    args = parse_args()
    if args.from_json:
        with open(args.from_json) as f:
            saved = json.load(f)
        results, rss, meta = saved["results"], saved.get("rss", []), saved["meta"]
    else:
        load_before = os.getloadavg()[0]
        results = run_benchmarks(args)
        rss = [] if args.no_rss else measure_rss(args)
        meta = {"date": datetime.date.today().isoformat(), "cpu": cpu_model(), "repetitions": args.repetitions,
                "time": args.time, "load_before": load_before, "load_after": os.getloadavg()[0]}
        if args.json_out:
            with open(args.json_out, "w") as f:
                json.dump({"results": results, "rss": rss, "meta": meta}, f, indent=1)

    table, order, cv = collect(results, meta["time"])
    context = results.get("context", {})
    postgresql = f", PostgreSQL {context['postgresql_version']}" if "postgresql_version" in context else ""
    out = [f"StructQL benchmarks, {meta['date']}, {meta['cpu']} ({context.get('num_cpus', '?')} CPUs), "
           f"SQLite {context.get('sqlite_version', '?')}{postgresql}, {context.get('rows', '?')} rows; median of "
           f"{meta['repetitions']} repetitions, {meta['time']} time per operation (PostgreSQL: wall time), "
           f"ratio to {FLOOR} ({FLOORS['postgresql']} on PostgreSQL) in brackets.\n"]
    if "load_before" in meta:
        out.append(f"Load average (1 min) {meta['load_before']:.2f} before the run, {meta['load_after']:.2f} after.\n")
    out += markdown_tables(table, order, cv)
    out += ["Targets:\n"] + check_targets(table, order) + [""]
    if rss:
        out += rss_table(rss)
    print("\n".join(out))
    failed = results.get("exit_status", 0) != 0 or any(v is None for row in table.values() for v in row.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
