#!/bin/sh
# Compiles one source file and judges the result. Used by CMakeLists.txt in this folder.
#
#   expect_compile.sh MODE EXPECT FORBID NAMES MAYFAIL SOURCE COMPILER [FLAGS...]
#
# MODE     fail: the source must not compile, and the compiler's output must contain EXPECT
#                (and must not contain FORBID unless FORBID is "-");
#          pass: the source must compile.
# NAMES    "-", or the names the first diagnostic must show, separated by "|" (the model type,
#          the member): then the first `error:` line must be the one holding EXPECT, each name
#          must appear before the second `error:` line (g++ prints the instantiation above the
#          error, clang below it), and at most 3 `error:` lines may follow the first.
# MAYFAIL  1 for a known bug: when the expectation is not met, the output is shown and the
#          script exits 77, which CTest reports as "skipped" (Catch2's [!mayfail]). A source
#          that must not compile but does always fails.
mode=$1 expect=$2 forbid=$3 names=$4 mayfail=$5 source=$6
shift 6
output=$("$@" -fsyntax-only "$source" 2>&1)
status=$?

contains() { printf '%s\n' "$output" | grep -qF -- "$1"; }

problem=
if [ "$mode" = pass ]; then
    [ "$status" -eq 0 ] || problem="it does not compile"
elif [ "$status" -eq 0 ]; then
    echo "FAILED: $source compiled, but it must not"
    exit 1
elif ! contains "$expect"; then
    problem="the compiler's output does not contain: $expect"
elif [ "$forbid" != - ] && contains "$forbid"; then
    problem="the compiler's output contains: $forbid"
elif [ "$names" != - ]; then
    errors=$(printf '%s\n' "$output" | grep -c 'error:')
    first_diagnostic=$(printf '%s\n' "$output" | awk '/error:/ { if (++n == 2) exit } { print }')
    if ! printf '%s\n' "$output" | grep -m1 'error:' | grep -qF -- "$expect"; then
        problem="the first error: line is not StructQL's message: $(printf '%s\n' "$output" | grep -m1 'error:')"
    elif [ "$errors" -gt 4 ]; then
        problem="$errors error: lines (at most 4: StructQL's and 3 more)"
    else
        rest=$names
        while [ -n "$rest" ]; do
            name=${rest%%|*}
            [ "$rest" = "$name" ] && rest= || rest=${rest#*|}
            if ! printf '%s\n' "$first_diagnostic" | grep -qF -- "$name"; then
                problem="the first diagnostic does not name: $name"
                break
            fi
        done
    fi
fi

if [ -z "$problem" ]; then
    echo "ok: $source ($mode)"
    exit 0
fi
printf '%s\n' "$output" | head -n 60
echo "FAILED: $source: $problem"
if [ "$mayfail" = 1 ]; then
    echo "(a known bug, described in $source: reported as skipped)"
    exit 77
fi
exit 1
