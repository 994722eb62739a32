#!/usr/bin/env bash
# Instructions the compiler proper (cc1plus) executes for each TU pair of run.sh, with g++
# -std=c++20 -O2 -c and separate compilation, under valgrind (cachegrind, no cache model). The
# count does not depend on the machine's load, so it shows a change of a fraction of a percent
# that CPU time on a shared machine hides; run.sh's CPU time stays the measure of the targets.
# About 20x the compile time per TU (the 10-model program: ~2 minutes); pairs run side by side.
#
# Usage: instructions.sh [--include DIR] [--rev GIT_REV]   (default: the working tree's include/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
include=$repo/include
tmp=$(mktemp -d "${TMPDIR:-/tmp}/structql-instructions.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
while [[ $# -gt 0 ]]; do
    case $1 in
        --include) include=$(cd "$2" && pwd); shift 2 ;;
        --rev) git -C "$repo" archive "$2" include | tar -x -C "$tmp"; include=$tmp/include; shift 2 ;;
        *) echo "usage: $0 [--include DIR] [--rev GIT_REV]" >&2; exit 2 ;;
    esac
done
command -v valgrind >/dev/null || { echo "instructions.sh: needs valgrind (apt-get install valgrind)" >&2; exit 1; }

count() {  # TU name -> instructions of the largest child (cc1plus)
    valgrind --tool=cachegrind --cache-sim=no --trace-children=yes --cachegrind-out-file=/dev/null \
        g++ -std=c++20 -O2 -DSTRUCTQL_SEPARATE_COMPILATION -I"$include" -c "$here/$1.cpp" -o "$tmp/$1.o" 2>"$tmp/$1.log"
    sed -n 's/.*I *refs: *//p' "$tmp/$1.log" | tr -d , | sort -n | tail -1
}
echo "| TU pair | StructQL (G instructions) | baseline | ratio |"
echo "|---|---:|---:|---:|"
for pair in "program structql_program raw_sqlite3_program" "light light_structql light_raw_sqlite3" \
    "header(own-includes) header_structql header_raw_includes"; do
    read -r name ours theirs <<<"$pair"
    count "$ours" >"$tmp/a" & count "$theirs" >"$tmp/b"; wait
    awk -v n="$name" -v a="$(cat "$tmp/a")" -v b="$(cat "$tmp/b")" \
        'BEGIN { printf "| %s | %.2f | %.2f | %.2fx (+%.2f G) |\n", n, a / 1e9, b / 1e9, a / b, (a - b) / 1e9 }'
done
