#!/usr/bin/env python3
"""Counts the lines of a preprocessed TU (g++ -E output) by the file they come from, grouped
by library, and by the include that pulled them in (the deepest StructQL header on the
include stack, or boost/hana / boost/pfr when one of those is on it). Markdown on stdout.

usage: pp_lines.py FILE.ii [--top N]"""
import argparse
import collections
import re

MARK = re.compile(r'^# (\d+) "([^"]*)"((?: \d)*)')


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
    if path.startswith("<"):
        return "builtin"
    if path.startswith("/usr/"):
        return "libc / system"
    return "the TU itself"


def owner(stack):
    for f in stack:
        if library(f) in ("boost/hana", "boost/pfr"):
            return library(f) + " (and what it includes)"
    for f in reversed(stack):
        if "/structql/" in f:
            return "structql/" + f.split("/structql/", 1)[1]
    if len(stack) <= 1:
        return "the TU itself"
    return "the TU's own includes (" + library(stack[-1]) + ")"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ii")
    ap.add_argument("--top", type=int, default=12)
    a = ap.parse_args()
    stack = []
    raw, by_lib, by_owner, by_file = 0, collections.Counter(), collections.Counter(), collections.Counter()
    for line in open(a.ii, errors="replace"):
        raw += 1
        m = MARK.match(line)
        if m:
            f, flags = m.group(2), m.group(3).split()
            if "1" in flags:
                stack.append(f)
            elif "2" in flags:
                while stack and stack[-1] != f:
                    stack.pop()
                if not stack:
                    stack.append(f)
            elif not stack:
                stack.append(f)
            continue
        if not line.strip() or not stack:
            continue
        by_lib[library(stack[-1])] += 1
        by_owner[owner(stack)] += 1
        by_file[stack[-1]] += 1
    total = sum(by_lib.values()) or 1
    print(f"`wc -l` of the -E output: {raw}; non-blank code lines: {total}\n")
    print("| lines by library of origin | non-blank lines | share |\n|---|---:|---:|")
    for k, v in by_lib.most_common():
        print(f"| {k} | {v} | {100 * v / total:.1f}% |")
    print("\n| lines by the include that pulled them in | non-blank lines | share |\n|---|---:|---:|")
    for k, v in by_owner.most_common(a.top):
        print(f"| {k} | {v} | {100 * v / total:.1f}% |")
    print("\n| biggest files | non-blank lines |\n|---|---:|")
    for k, v in by_file.most_common(a.top):
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
