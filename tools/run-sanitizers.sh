#!/usr/bin/env bash
# ThreadSanitizer over the threaded tests (the pool, engines shared by threads, the load test):
# clang -fsanitize=thread builds structql_thread_tests (build/tsan) and runs it. Any report
# fails the run. AddressSanitizer + UndefinedBehaviorSanitizer run over every test in
# tools/run-tests.sh's clang build. See docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
bash tools/install-deps.sh libclang-rt-14-dev

CXX=clang++ cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE= \
  -DSTRUCTQL_BUILD_EXAMPLES=OFF -DSTRUCTQL_BUILD_BENCHMARKS=OFF \
  -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only -fno-omit-frame-pointer -fsanitize=thread" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" >/dev/null
cmake --build build/tsan -j"$(nproc)" --target structql_thread_tests
built=$SECONDS
# No suppressions: SQLite (serialized through its own pthread mutexes, which TSan intercepts)
# and Catch2 have given no report. If a third-party report ever needs one, put it in a file
# with a comment saying why, and add suppressions=<file> here.
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:history_size=4"
status=0
build/tsan/tests/structql_thread_tests "[threads],[engine]" || status=1
echo "=== TSan: $([ $status -eq 0 ] && echo 'no findings' || echo 'FINDINGS (see above)'); build $((built - started)) s, tests $((SECONDS - built)) s ==="
exit $status
