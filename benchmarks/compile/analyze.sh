#!/usr/bin/env bash
# Where StructQL's compile time goes (README.md in this directory, "Where the time goes").
# Markdown on stdout, progress on stderr:
#   1. front end vs back end: structql_program.cpp and raw_sqlite3_program.cpp at
#      -fsyntax-only, -O0 -c and -O2 -c (median CPU time of N);
#   2. the header's cost (3 x N runs each), built up include by include: an empty TU, + the raw
#      program's includes, + the other std headers StructQL includes, + its Boost.PFR headers,
#      + its Boost.Hana headers,
#      + structql.hpp itself; Hana and PFR alone; and a TU that makes an engine and a session
#      but touches no model (the model-independent code every user TU compiles); and each std
#      header StructQL adds over the raw program's includes, alone (3 runs each);
#   3. the code instantiated: functions and .text bytes in each program's object (g++ -O2),
#      biggest instantiated StructQL functions summed over the models;
#   4. g++ -ftime-report of structql_program.cpp (phases, top timers);
#   5. clang++ -ftime-trace of structql_program.cpp (tools/trace_summary.py);
#   6. g++ -E line counts (tools/pp_lines.py).
#
# Usage: analyze.sh [-n N] [--rev GIT_REV | --include DIR] [--keep DIR]
#   --keep DIR  keep the -ftime-report text, the -ftime-trace JSON and the -E output in DIR
# Needs g++, clang++, python3, nm, size, GNU time.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
n=${N:-3}
rev=""
include=""
keep=""
while (($#)); do
    case $1 in
        -n) n=$2; shift 2 ;;
        --rev) rev=$2; shift 2 ;;
        --include) include=$2; shift 2 ;;
        --keep) keep=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "analyze.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "analyze.sh: -n wants a positive integer" >&2; exit 2; }
for tool in g++ clang++ python3 nm size /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "analyze.sh: needs $tool (GNU time: apt-get install time)" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/structql-analyze.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -n $rev ]]; then
    commit=$(git -C "$repo" rev-parse --short "$rev^{commit}")
    mkdir -p "$tmp/src"
    git -C "$repo" archive "$commit" include | tar -x -C "$tmp/src"
    include="$tmp/src/include"
    source_desc="commit $commit (git archive)"
else
    include=${include:-$repo/include}
    commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
    source_desc="commit $commit"
    [[ -n $(git -C "$repo" status --porcelain -- include 2>/dev/null) ]] && source_desc+=" + uncommitted changes in include/"
fi
[[ -f $include/structql/structql.hpp ]] || { echo "analyze.sh: no structql/structql.hpp under $include" >&2; exit 1; }
if [[ -n $keep ]]; then mkdir -p "$keep"; keep=$(cd "$keep" && pwd); fi

std="-std=c++20"
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# time_cpu <key> <cxx> <args...>: one run, appends user+sys and peak RSS to $tmp/cpu.<key>.
time_cpu() {
    local key=$1; shift
    /usr/bin/time -f '%U %S %M' -o "$tmp/t" "$@" 2>"$tmp/err" >/dev/null || {
        echo "analyze.sh: failed: $*" >&2; head -30 "$tmp/err" >&2; exit 1; }
    awk '{ printf "%.2f %d\n", $1 + $2, $3 / 1024 }' "$tmp/t" >>"$tmp/cpu.$key"
}
cpu() { awk '{ print $1 }' "$tmp/cpu.$1" | median; }
rss() { awk '{ print $2 }' "$tmp/cpu.$1" | median; }

# ---- Generated TUs for the header cost chain -------------------------------------------------
# The std headers StructQL's SQLite headers include, its PFR headers and its Hana headers.
# The StructQL headers structql.hpp reaches (g++ -H), then what they include.
mapfile -t closure < <(g++ $std -I"$include" -H -fsyntax-only "$here/header_structql.cpp" 2>&1 >/dev/null |
    sed -nE 's/^\.+ //p' | grep '/structql/' | sort -u)
((${#closure[@]})) || { echo "analyze.sh: could not list the headers structql.hpp includes" >&2; exit 1; }
hdrs=$(cat "${closure[@]}")
std_headers=$(grep -oE '^#include <[a-z_]+>' <<<"$hdrs" | sort -u | sed 's/^#include //')
pfr_headers=$(grep -oE '^#include <boost/pfr[^>]*>' <<<"$hdrs" | sort -u | sed 's/^#include //')
hana_headers=$(grep -oE '^#include <boost/hana[^>]*>' <<<"$hdrs" | sort -u | sed 's/^#include //')
inc() { for h in "$@"; do echo "#include $h"; done; }
# What raw_sqlite3_program.cpp includes: the headers a user TU would parse anyway.
raw_headers=$(grep -oE '^#include <[a-z_0-9.]+>' "$here/raw_sqlite3_program.cpp" | sed 's/^#include //')
extra_std=$(comm -13 <(sort <<<"$raw_headers") <(sort <<<"$std_headers"))
{ echo 'int main() {}'; } >"$tmp/empty.cpp"
{ inc $raw_headers; echo 'int main() {}'; } >"$tmp/raw.cpp"
{ inc $raw_headers $std_headers; echo 'int main() {}'; } >"$tmp/std.cpp"
{ inc $raw_headers $std_headers $pfr_headers; echo 'int main() {}'; } >"$tmp/std_pfr.cpp"
{ inc $raw_headers $std_headers $pfr_headers $hana_headers; echo 'int main() {}'; } >"$tmp/std_pfr_hana.cpp"
cp "$here/header_structql.cpp" "$tmp/full.cpp"
{ inc $hana_headers; echo 'int main() {}'; } >"$tmp/hana.cpp"
{ inc $pfr_headers; echo 'int main() {}'; } >"$tmp/pfr.cpp"
cat >"$tmp/engine_only.cpp" <<'EOF'
// structql.hpp, an engine, a sessionmaker and a session that commits: no model at all.
#include <structql/structql.hpp>
int main() {
    auto engine = structql::create_engine("sqlite:///:memory:");
    engine.on_connect([](structql::connection& c) { c.execute("PRAGMA foreign_keys=ON"); });
    auto Session = structql::sessionmaker(engine);
    auto db = Session();
    db.commit();
}
EOF
chain=(empty raw std std_pfr std_pfr_hana full hana pfr engine_only)
declare -A chain_desc=(
    [empty]="empty TU (int main() {})"
    [raw]="+ raw_sqlite3_program.cpp's includes ($(wc -w <<<"$raw_headers") headers, <sqlite3.h> among them)"
    [std]="+ the other $(wc -w <<<"$extra_std") std headers StructQL includes"
    [std_pfr]="+ its Boost.PFR headers ($(tr '\n' ' ' <<<"$pfr_headers" | sed 's/ $//'))"
    [std_pfr_hana]="+ its Boost.Hana headers ($(tr '\n' ' ' <<<"$hana_headers" | sed 's/ $//'))"
    [full]="+ <structql/structql.hpp> (= header_structql.cpp)"
    [hana]="Boost.Hana headers alone"
    [pfr]="Boost.PFR headers alone"
    [engine_only]="structql.hpp + engine, sessionmaker, session.commit(), no model"
)

programs=(structql_program raw_sqlite3_program)
modes=("-fsyntax-only" "-O0 -c" "-O2 -c")
for ((i = 1; i <= n; i++)); do
    for cxx in g++ clang++; do
        echo "analyze.sh: [$i/$n] $cxx: phases" >&2
        for p in "${programs[@]}"; do
            for m in "${modes[@]}"; do
                # shellcheck disable=SC2086
                time_cpu "$cxx.$p.${m// /}" "$cxx" $std $m -I"$include" "$here/$p.cpp" -o "$tmp/x.o"
            done
        done
        echo "analyze.sh: [$i/$n] $cxx: header chain" >&2
        # The header TUs take a second or two: 3 runs each per repetition, against noise.
        for ((j = 0; j < 3; j++)); do
            for tu in "${chain[@]}"; do
                time_cpu "$cxx.chain.$tu" "$cxx" $std -O2 -c -I"$include" "$tmp/$tu.cpp" -o "$tmp/x.o"
            done
        done
    done
done

# Each std header StructQL adds, on top of the raw program's includes: 3 runs each.
for ((j = 1; j <= 3; j++)); do
    echo "analyze.sh: [$j/3] std headers one by one" >&2
    for h in $extra_std; do
        name=${h//[<>]/}
        { inc $raw_headers "$h"; echo 'int main() {}'; } >"$tmp/one_$name.cpp"
        for cxx in g++ clang++; do
            time_cpu "$cxx.one.$name" "$cxx" $std -O2 -c "$tmp/one_$name.cpp" -o "$tmp/x.o"
        done
    done
done

echo "Where the time goes: $(date -u +%Y-%m-%d), $source_desc; g++ $(g++ -dumpversion), clang++ $(clang++ -dumpversion);"
echo "CPU = user+sys seconds, median of $n (header chain: of $((3 * n)))."
echo
echo "### 1. Front end vs back end"
echo
echo "| compiler | TU | -fsyntax-only CPU s | -O0 -c CPU s | -O2 -c CPU s | -O2 peak RSS MiB | back end at -O2 (O2 - syntax) |"
echo "|---|---|---:|---:|---:|---:|---:|"
for cxx in g++ clang++; do
    for p in "${programs[@]}"; do
        s=$(cpu "$cxx.$p.-fsyntax-only"); o0=$(cpu "$cxx.$p.-O0-c"); o2=$(cpu "$cxx.$p.-O2-c"); r=$(rss "$cxx.$p.-O2-c")
        awk -v c="$cxx" -v p="$p" -v s="$s" -v o0="$o0" -v o2="$o2" -v r="$r" \
            'BEGIN { printf "| %s | %s | %.2f | %.2f | %.2f | %d | %.2f (%.0f%%) |\n", c, p, s, o0, o2, r, o2 - s, 100 * (o2 - s) / o2 }'
    done
done
echo
echo "### 2. The header, include by include (-O2 -c, empty main)"
echo
echo "| TU | g++ CPU s | g++ step s | g++ RSS MiB | clang++ CPU s | clang++ step s | clang++ RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for tu in "${chain[@]}"; do
    row="| ${chain_desc[$tu]} "
    for cxx in g++ clang++; do
        c=$(cpu "$cxx.chain.$tu")
        case $tu in
            empty|hana|pfr) base=$(cpu "$cxx.chain.empty") ;;
            raw) base=$(cpu "$cxx.chain.empty") ;;
            std) base=$(cpu "$cxx.chain.raw") ;;
            std_pfr) base=$(cpu "$cxx.chain.std") ;;
            std_pfr_hana) base=$(cpu "$cxx.chain.std_pfr") ;;
            full) base=$(cpu "$cxx.chain.std_pfr_hana") ;;
            engine_only) base=$(cpu "$cxx.chain.full") ;;
        esac
        step=$(awk -v c="$c" -v b="$base" -v t="$tu" 'BEGIN { if (t == "empty") print "-"; else printf "%+.2f", c - b }')
        row+="| $c | $step | $(rss "$cxx.chain.$tu") "
    done
    echo "$row|"
done
echo
echo "(step: against the row above for the chain; Hana and PFR alone against the empty TU; the"
echo "engine-only TU against the full header.)"
echo
echo "Each std header StructQL includes that raw_sqlite3_program.cpp does not, added alone to the"
echo "raw program's includes (median of 3; the costs overlap, so they do not add up to the row above):"
echo
echo "| header | g++ extra CPU s | clang++ extra CPU s |"
echo "|---|---:|---:|"
for h in $extra_std; do
    name=${h//[<>]/}
    g=$(cpu "g++.one.$name"); c=$(cpu "clang++.one.$name")
    awk -v h="$h" -v g="$g" -v c="$c" -v gb="$(cpu g++.chain.raw)" -v cb="$(cpu clang++.chain.raw)" \
        'BEGIN { printf "%.2f| `%s` | %+.2f | %+.2f |\n", (g - gb) + (c - cb), h, g - gb, c - cb }'
done | sort -t'|' -k1 -rn | cut -d'|' -f2- | sed 's/^/|/'

echo
echo "### 3. Code instantiated (g++ -O2 objects)"
echo
echo "| object | defined functions | .text bytes |"
echo "|---|---:|---:|"
for p in "${programs[@]}"; do
    g++ $std -O2 -c -I"$include" "$here/$p.cpp" -o "$tmp/$p.o"
    f=$(nm -C --defined-only "$tmp/$p.o" | grep -c ' [tTwW] ' || true)
    t=$(size -A "$tmp/$p.o" | awk '$1 ~ /^\.text/ { s += $2 } END { print s }')
    echo "| $p.o | $f | $t |"
done
echo
echo "Biggest StructQL functions of structql_program.o, summed over the 10 models (M = any model):"
echo
echo "| bytes | copies | function |"
echo "|---:|---:|---|"
nm -C --size-sort --defined-only "$tmp/structql_program.o" | grep ' [tTwW] ' | python3 -c '
import collections, re, sys
size, count = collections.Counter(), collections.Counter()
for line in sys.stdin:
    sz, _, name = line.rstrip("\n").split(" ", 2)
    name = re.sub(r"shop::[A-Za-z]+", "M", name).replace("decltype(auto) ", "")
    name = re.sub(r"\(.*", "(...)", name).replace("structql::", "").replace("sqlite_backend", "B")
    size[name] += int(sz, 16); count[name] += 1
for k, v in size.most_common(15):
    print(f"| {v} | {count[k]} | `{k[:140]}` |")
'

echo
echo "### 4. g++ -ftime-report (structql_program.cpp, -O2; the report itself adds overhead)"
echo
g++ $std -O2 -c -I"$include" "$here/structql_program.cpp" -o "$tmp/x.o" -ftime-report 2>"$tmp/time-report.txt"
echo '```'
grep -E '^ phase ' "$tmp/time-report.txt" || true
grep ':' "$tmp/time-report.txt" | grep -vE '^ phase |TOTAL' | sort -t: -k2 -rn | awk 'NR <= 12'
grep 'TOTAL' "$tmp/time-report.txt" || true
echo '```'

echo
echo "### 5. clang++ -ftime-trace (structql_program.cpp, -O2)"
echo
clang++ $std -O2 -c -I"$include" "$here/structql_program.cpp" -o "$tmp/trace.o" -ftime-trace -ftime-trace-granularity=200
python3 "$here/tools/trace_summary.py" "$tmp/trace.json" --strip "$include/" --top 12

echo
echo "### 6. Preprocessed size (g++ -E)"
for p in "${programs[@]}"; do
    g++ $std -E -I"$include" "$here/$p.cpp" -o "$tmp/$p.ii"
    echo
    echo "#### $p.cpp"
    echo
    python3 "$here/tools/pp_lines.py" "$tmp/$p.ii" --top 10
done

if [[ -n $keep ]]; then
    cp "$tmp/time-report.txt" "$tmp/trace.json" "$tmp/structql_program.ii" "$tmp/raw_sqlite3_program.ii" "$keep/"
    echo "analyze.sh: kept time-report.txt, trace.json and the .ii files in $keep" >&2
fi
