#!/usr/bin/env bash
# Builds the tests with clang under AddressSanitizer + UndefinedBehaviorSanitizer (build/asan)
# and runs them with ctest; then under ThreadSanitizer (build/tsan) and runs the threaded tests
# ([threads] and [engine] in structql_tests, [threads] in structql_reliability_tests). Any
# finding fails the run (non-zero exit). About 5 minutes on 2 cores.
#
# Left out: the compile_fail and distribution tests (they run compilers and package builds, not
# StructQL code), the examples and benchmarks. See docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

# What the project needs (tools/install-deps.sh), plus the sanitizer and libFuzzer runtimes.
bash tools/install-deps.sh libclang-rt-14-dev

jobs=$(nproc)
# -O0 and line tables only: the build, not the run, is what takes the time here.
base="-O0 -gline-tables-only -fno-omit-frame-pointer"
configure() {  # dir sanitizers
  cmake -S . -B "$1" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE= \
    -DSTRUCTQL_BUILD_EXAMPLES=OFF -DSTRUCTQL_BUILD_BENCHMARKS=OFF \
    -DCMAKE_CXX_FLAGS="$base -fsanitize=$2 -fno-sanitize-recover=all" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=$2" >/dev/null
}
status=0

echo "=== ASan + UBSan: build/asan ==="
configure build/asan address,undefined
cmake --build build/asan -j"$jobs" --target structql_tests structql_reliability_tests readme_example
asan_built=$SECONDS
# detect_leaks: LeakSanitizer too. A test binary stops at the first report (halt_on_error,
# abort_on_error) and ctest counts it failed.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
(cd build/asan && ctest -E 'compile_fail|distribution' -j"$jobs" --output-on-failure --timeout 300) || status=1
echo "ASan + UBSan: build $((asan_built - started)) s, tests $((SECONDS - asan_built)) s"
unset ASAN_OPTIONS UBSAN_OPTIONS

echo "=== TSan: build/tsan ==="
tsan_started=$SECONDS
configure build/tsan thread
cmake --build build/tsan -j"$jobs" --target structql_tests structql_reliability_tests
tsan_built=$SECONDS
# No suppressions: SQLite (serialized through its own pthread mutexes, which TSan intercepts)
# and Catch2 have given no report. If a third-party report ever needs one, put it in a file
# with a comment saying why, and add suppressions=<file> here.
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:history_size=4"
build/tsan/tests/structql_tests "[threads],[engine]" || status=1
build/tsan/tests/reliability/structql_reliability_tests "[threads]" || status=1
echo "TSan: build $((tsan_built - tsan_started)) s, tests $((SECONDS - tsan_built)) s"

echo "=== sanitizers: $([ $status -eq 0 ] && echo 'no findings' || echo 'FINDINGS (see above)') in $((SECONDS - started)) s ==="
exit $status
