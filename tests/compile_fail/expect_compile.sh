#!/bin/sh
# Compiles one source file and judges the result. Used by CMakeLists.txt in this folder.
#
#   expect_compile.sh MODE EXPECT FORBID MAYFAIL SOURCE COMPILER [FLAGS...]
#
# MODE     fail: the source must not compile, and the compiler's output must contain EXPECT
#                (and must not contain FORBID unless FORBID is "-");
#          pass: the source must compile.
# MAYFAIL  1 for a known bug: when the expectation is not met, the output is shown and the
#          script exits 77, which CTest reports as "skipped" (Catch2's [!mayfail]). A source
#          that must not compile but does always fails.
mode=$1 expect=$2 forbid=$3 mayfail=$4 source=$5
shift 5
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
