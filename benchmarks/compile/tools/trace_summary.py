#!/usr/bin/env python3
"""Summarise a clang -ftime-trace JSON file as markdown: totals (frontend, backend, parsing,
instantiation), parse time by library and by the StructQL header that pulled it in, the
longest header parses, the longest template instantiations, and instantiation time grouped
by template (outermost instantiations only, so nothing is counted twice).

usage: trace_summary.py TRACE.json [--top N] [--strip PREFIX]"""
import argparse
import collections
import json
import re


def library(path):
    if "boost/hana" in path:
        return "boost/hana"
    if "boost/pfr" in path:
        return "boost/pfr"
    if "/boost/" in path:
        return "boost (other)"
    if path.endswith("sqlite3.h"):
        return "sqlite3.h"
    if "/structql/" in path:
        return "structql"
    if "/c++/" in path:
        return "libstdc++"
    if path.startswith("/usr/"):
        return "libc / system"
    return "the TU itself"


def owner(stack):
    """Who pulled a header in: boost/hana or boost/pfr when on the include stack, else the
    deepest StructQL header on it."""
    for e in stack:
        lib = library(e["args"]["detail"])
        if lib in ("boost/hana", "boost/pfr"):
            return lib + " (and what it includes)"
    for e in reversed(stack):
        p = e["args"]["detail"]
        if "/structql/" in p:
            return "structql/" + p.split("/structql/", 1)[1]
    return "the TU's own includes (" + library(stack[-1]["args"]["detail"]) + ")" if stack else "?"


def nest(events):
    """Sorts complete events by start and gives each its parent (same thread), depth and self time."""
    events.sort(key=lambda e: (e["ts"], -e["dur"]))
    stack = []
    for e in events:
        while stack and e["ts"] + e["dur"] > stack[-1]["ts"] + stack[-1]["dur"]:
            stack.pop()
        e["self"] = e["dur"]
        e["depth"] = len(stack)
        e["stack"] = list(stack)
        if stack:
            stack[-1]["self"] -= e["dur"]
        stack.append(e)
    return events


def template_name(detail):
    return re.sub(r"<.*", "", detail)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--strip", default="")
    a = ap.parse_args()
    events = [e for e in json.load(open(a.trace))["traceEvents"] if e.get("ph") == "X"]
    s = lambda us: f"{us / 1e6:.2f}"
    short = lambda p: p.replace(a.strip, "") if a.strip else p

    totals = {e["name"][6:]: e for e in events if e["name"].startswith("Total ")}
    print("| clang phase (trace totals) | s | count |\n|---|---:|---:|")
    for name in ("ExecuteCompiler", "Frontend", "Source", "ParseClass", "InstantiateClass", "InstantiateFunction",
                 "PerformPendingInstantiations", "CodeGen Function", "Backend", "Optimizer", "OptFunction",
                 "CodeGenPasses"):
        if name in totals:
            print(f"| {name} | {s(totals[name]['dur'])} | {totals[name]['args'].get('count', '')} |")
    print("\n(Source = parsing headers; InstantiateClass/Function overlap each other and Source; "
          "Backend = Optimizer + CodeGenPasses.)\n")

    sources = nest([e for e in events if e["name"] == "Source"])
    by_lib = collections.Counter()
    by_owner = collections.Counter()
    for e in sources:
        by_lib[library(e["args"]["detail"])] += e["self"]
        by_owner[owner(e["stack"] + [e])] += e["self"]
    total = sum(by_lib.values()) or 1
    print("| header parse time by library (self time) | s | share |\n|---|---:|---:|")
    for k, v in by_lib.most_common():
        print(f"| {k} | {s(v)} | {100 * v / total:.0f}% |")
    print("\n| header parse time by the StructQL header that pulled it in | s | share |\n|---|---:|---:|")
    for k, v in by_owner.most_common(a.top):
        print(f"| {k} | {s(v)} | {100 * v / total:.0f}% |")
    print(f"\n| longest header parses (inclusive) | s | self s | depth |\n|---|---:|---:|---:|")
    for e in sorted(sources, key=lambda e: -e["dur"])[: a.top]:
        print(f"| {short(e['args']['detail'])} | {s(e['dur'])} | {s(e['self'])} | {e['depth']} |")

    inst = nest([e for e in events if e["name"] in ("InstantiateClass", "InstantiateFunction")])
    print(f"\n| longest template instantiations (inclusive) | s |\n|---|---:|")
    for e in sorted(inst, key=lambda e: -e["dur"])[: a.top]:
        d = e["args"]["detail"]
        d = d if len(d) <= 150 else d[:147] + "..."
        print(f"| {e['name'][11:]} `{d}` | {s(e['dur'])} |")
    fam, count = collections.Counter(), collections.Counter()
    for e in inst:
        if not any(p["name"] in ("InstantiateClass", "InstantiateFunction") for p in e["stack"]):
            fam[template_name(e["args"]["detail"])] += e["dur"]
            count[template_name(e["args"]["detail"])] += 1
    print(f"\n| instantiation time by template (outermost instantiations) | s | instantiations |\n|---|---:|---:|")
    for k, v in fam.most_common(a.top):
        print(f"| `{k}` | {s(v)} | {count[k]} |")


if __name__ == "__main__":
    main()
