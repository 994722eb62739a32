#!/usr/bin/env bash
# Compile cost of StructQL against hand-written sqlite3 (see README.md in this directory).
#
# For each compiler, compiles (-c) each translation unit N times with /usr/bin/time and reports
# the median wall time, median user+sys CPU time and median peak RSS of the compiler, as a
# markdown table on stdout:
#   program  structql_program.cpp   vs raw_sqlite3_program.cpp   (10 models, the issue's case)
#   light    light_structql.cpp     vs light_raw_sqlite3.cpp     (1 model)
#   header   header_structql.cpp    vs header_sqlite3.cpp        (the include alone, empty main)
#   header(own includes) header_structql.cpp vs header_raw_includes.cpp (the hand-written
#            program's own includes: a TU's extra parse for choosing StructQL)
# each pair twice: with separate compilation (STRUCTQL_SEPARATE_COMPILATION, the program linked
# with the compiled part, src/structql.cpp, which is timed on a line of its own) and header-only.
# Before timing, each program is linked and run once per compiler; the two programs of a pair
# must print the same checksum.
#
# Usage: run.sh [-n N] [--compilers "g++ clang++"] [--rev GIT_REV | --include DIR]
#               [--flags "-std=c++20 -O2"] [--samples FILE]
#   -n N          repetitions per TU and compiler (default 3; env N works too)
#   --rev REV     measure the headers of a commit (git archive of include/ into a temp dir),
#                 not the working tree: use this while include/ has uncommitted edits
#   --include DIR the StructQL include directory (default: the repo's include/)
#   --samples F   also write every single measurement to F (TSV)
# Progress goes to stderr. Wall time is noisy on a loaded machine: ratios use CPU time.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

n=${N:-3}
compilers="g++ clang++"
flags="-std=c++20 -O2"
rev=""
include=""
samples=""
while (($#)); do
    case $1 in
        -n) n=$2; shift 2 ;;
        --compilers) compilers=$2; shift 2 ;;
        --flags) flags=$2; shift 2 ;;
        --rev) rev=$2; shift 2 ;;
        --include) include=$2; shift 2 ;;
        --samples) samples=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: -n wants a positive integer, got '$n'" >&2; exit 2; }

if [[ ! -x /usr/bin/time ]]; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        echo "run.sh: installing GNU time" >&2
        apt-get install -y -qq time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
    else
        echo "run.sh: needs GNU time at /usr/bin/time (Debian: apt-get install time)" >&2; exit 1
    fi
fi
for cxx in $compilers; do
    command -v "$cxx" >/dev/null || { echo "run.sh: compiler '$cxx' not found" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/structql-compile.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Which headers, at which commit.
if [[ -n $rev ]]; then
    commit=$(git -C "$repo" rev-parse --short "$rev^{commit}")
    mkdir -p "$tmp/src"
    git -C "$repo" archive "$commit" include $(git -C "$repo" ls-tree --name-only "$commit" src) | tar -x -C "$tmp/src"
    include="$tmp/src/include"
    source_desc="commit $commit (git archive)"
else
    include=${include:-$repo/include}
    commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [[ -n $(git -C "$repo" status --porcelain -- include 2>/dev/null) ]]; then
        source_desc="commit $commit + uncommitted changes in include/"
    else
        source_desc="commit $commit"
    fi
fi
[[ -f $include/structql/structql.hpp ]] || { echo "run.sh: no structql/structql.hpp under $include" >&2; exit 1; }

# A TU name ending in "+sep" is that file compiled with -DSTRUCTQL_SEPARATE_COMPILATION, its
# program linked with StructQL's compiled part (src/structql.cpp, compiled once per compiler and
# reported on its own line: a program pays for it once, not per TU).
pairs=(
    "program structql_program+sep raw_sqlite3_program"
    "light light_structql+sep light_raw_sqlite3"
    "header header_structql+sep header_sqlite3"
    "header(own-includes) header_structql+sep header_raw_includes"
    "program(header-only) structql_program raw_sqlite3_program"
    "light(header-only) light_structql light_raw_sqlite3"
    "header(header-only) header_structql header_sqlite3"
    "header(own-includes,header-only) header_structql header_raw_includes"
)
src_dir=$(cd "$include/.." && pwd)/src
[[ -f $src_dir/structql.cpp ]] || src_dir=$repo/src
source_of() { if [[ $1 == library ]]; then echo "$src_dir/structql.cpp"; else echo "$here/${1%+sep}.cpp"; fi; }
flags_of() { [[ $1 == *+sep || $1 == library ]] && echo "-DSTRUCTQL_SEPARATE_COMPILATION"; return 0; }
# Every TU measured, once each per repetition.
tus=(library)
for pair in "${pairs[@]}"; do
    read -r _ sq raw <<<"$pair"
    for tu in "$sq" "$raw"; do [[ " ${tus[*]} " == *" $tu "* ]] || tus+=("$tu"); done
done

# Link and run each program once per compiler; a pair's checksums must agree.
for cxx in $compilers; do
    # shellcheck disable=SC2086
    "$cxx" $flags $(flags_of library) -I"$include" -c "$(source_of library)" -o "$tmp/library.o" \
        2>"$tmp/err" || { echo "run.sh: $cxx failed on src/structql.cpp:" >&2; head -40 "$tmp/err" >&2; exit 1; }
    for pair in "${pairs[@]}"; do
        read -r name sq raw <<<"$pair"
        [[ $name == header* ]] && continue
        for tu in "$sq" "$raw"; do
            library=""
            [[ $tu == *+sep ]] && library="$tmp/library.o"
            # shellcheck disable=SC2086
            "$cxx" $flags $(flags_of "$tu") -I"$include" "$(source_of "$tu")" $library -lsqlite3 -o "$tmp/$tu.bin" 2>"$tmp/err" || {
                echo "run.sh: $cxx failed on $tu.cpp:" >&2; head -40 "$tmp/err" >&2; exit 1; }
            (cd "$tmp" && "./$tu.bin") >"$tmp/$tu.out" || {
                echo "run.sh: $tu ($cxx) exited with $?" >&2; cat "$tmp/$tu.out" >&2; exit 1; }
        done
        a=$(sed 's/^[^:]*: //' "$tmp/$sq.out"); b=$(sed 's/^[^:]*: //' "$tmp/$raw.out")
        if [[ $a != "$b" ]]; then
            echo "run.sh: $name: outputs differ ($cxx): '$a' vs '$b'" >&2; exit 1
        fi
        echo "run.sh: $cxx $name: both print '$a'" >&2
    done
done

# One measurement: "wall user sys maxrss_kib" appended to $tmp/m.<cxx>.<tu>.
measure() {
    local cxx=$1 tu=$2
    # shellcheck disable=SC2086
    /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "$cxx" $flags $(flags_of "$tu") -I"$include" -c "$(source_of "$tu")" -o "$tmp/$tu.o" \
        2>"$tmp/err" || { echo "run.sh: $cxx failed on $tu.cpp:" >&2; head -40 "$tmp/err" >&2; exit 1; }
    tail -n 1 "$tmp/t" >>"$tmp/m.${cxx//\//_}.$tu"
    if [[ -n $samples ]]; then
        printf '%s\t%s\t%s\n' "$cxx" "$tu" "$(tail -n 1 "$tmp/t" | tr ' ' '\t')" >>"$samples"
    fi
}

# Median of the numbers on stdin.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# medians <cxx> <tu> -> "wall cpu rss_mib" (medians)
medians() {
    local f="$tmp/m.${1//\//_}.$2"
    printf '%s %s %s\n' "$(awk '{ print $1 }' "$f" | median)" "$(awk '{ print $2 + $3 }' "$f" | median)" \
        "$(awk '{ print $4 / 1024 }' "$f" | median)"
}

[[ -n $samples ]] && printf 'compiler\ttu\twall_s\tuser_s\tsys_s\tmaxrss_kib\n' >"$samples"
# Interleaved: repetition i of every TU before repetition i+1, so load changes hit all alike.
for ((i = 1; i <= n; i++)); do
    for cxx in $compilers; do
        for tu in "${tus[@]}"; do
            measure "$cxx" "$tu"
            echo "run.sh: [$i/$n] $cxx $tu: $(tail -n 1 "$tmp/m.${cxx//\//_}.$tu")" >&2
        done
    done
done

echo "Compile cost, StructQL vs hand-written sqlite3: $(date -u +%Y-%m-%d), $source_desc, flags \`$flags -c\`,"
echo "median of $n; CPU = user+sys of the compiler process tree; RSS = peak of its largest process."
echo
echo "| compiler | TUs (StructQL vs baseline) | StructQL wall s | StructQL CPU s | StructQL RSS MiB | baseline wall s | baseline CPU s | baseline RSS MiB | CPU ratio | RSS ratio | CPU diff s |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for cxx in $compilers; do
    ver=$("$cxx" -dumpversion)
    for pair in "${pairs[@]}"; do
        read -r name sq raw <<<"$pair"
        read -r sw sc sm <<<"$(medians "$cxx" "$sq")"
        read -r rw rc rm <<<"$(medians "$cxx" "$raw")"
        awk -v c="$cxx $ver" -v p="$name: $sq vs $raw" -v sw="$sw" -v sc="$sc" -v sm="$sm" -v rw="$rw" -v rc="$rc" -v rm="$rm" \
            'BEGIN { printf "| %s | %s | %.2f | %.2f | %.0f | %.2f | %.2f | %.0f | %.2fx | %.2fx | %+.2f |\n",
                     c, p, sw, sc, sm, rw, rc, rm, (rc > 0 ? sc / rc : 0), (rm > 0 ? sm / rm : 0), sc - rc }'
    done
    read -r lw lc lm <<<"$(medians "$cxx" library)"
    awk -v c="$cxx $ver" -v lw="$lw" -v lc="$lc" -v lm="$lm" \
        'BEGIN { printf "| %s | compiled part: src/structql.cpp, once per program (+sep rows link it) | %.2f | %.2f | %.0f | | | | | | |\n", c, lw, lc, lm }'

done
