#!/usr/bin/env bash
# Quick start 2: builds everything and runs every test twice: with g++ (build/test-g), and with
# clang under AddressSanitizer + UndefinedBehaviorSanitizer (build/test-clang), where any
# sanitizer report fails the test it happens in. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh libclang-rt-14-dev
jobs=$(nproc)
status=0

echo "=== g++ ==="
# -O0 without debug information (-g costs 15% of the build; a failure is found again with a
# Debug build): CI has 15 minutes.
CXX=g++ cmake -S . -B build/test-g -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_FLAGS=-O0 >/dev/null
cmake --build build/test-g -j"$jobs"
(cd build/test-g && ctest --output-on-failure -j"$jobs") || status=1

echo "=== clang++, ASan + UBSan ==="
# -O0 without debug information: the build, not the run, is what takes the time here, and line
# tables cost 15-25% of it (a report still names the functions of its stack; a failure is found
# again with a Debug build, as with g++ above). The
# benchmarks (their smoke run and the compile-cost programs) run in the g++ build only: they
# exercise no library path the tests do not, and CI has 15 minutes. So do the examples and the
# HTTP service's test (examples/backend, tests/backend: Beast and the service cost ~43 s of
# CPU time to compile under clang; the library paths they take are tested here already).
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=all"
CXX=clang++ cmake -S . -B build/test-clang -DCMAKE_BUILD_TYPE= -DSTRUCTQL_BUILD_BENCHMARKS=OFF -DSTRUCTQL_BUILD_EXAMPLES=OFF \
  -DCMAKE_CXX_FLAGS="-O0 -fno-omit-frame-pointer $sanitize" \
  -DCMAKE_EXE_LINKER_FLAGS="$sanitize" >/dev/null
cmake --build build/test-clang -j"$jobs"
# LeakSanitizer too; a test binary stops at its first report and ctest counts it failed.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# The compile_fail cases (builds that must fail, -fsyntax-only: no sanitizer sees them) run with
# g++ above; here only those whose check depends on the compiler (NAMES: where the instantiation
# is printed, label compile_fail_names): the others check the same message in the same source,
# and cost ~25 s of CPU time under clang (CI has 15 minutes). `ctest -L compile_fail` runs all.
(cd build/test-clang && ctest --output-on-failure -j"$jobs" --timeout 600 -LE '^compile_fail$') || status=1
exit $status
