#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang (-fsanitize=fuzzer,address,undefined) and
# runs each for a bounded time, printing its executions. Exits non-zero if any target finds a
# crash, a sanitizer report or a broken promise; the input is saved under
# build/fuzz/artifacts/<target>/ (see docs/reliability.md for what to do with it).
#
# Usage: tools/run-fuzz.sh [seconds-per-target] [target ...]     (default: 20, url values query)
# Environment: FUZZ_JOBS=n runs n fuzzing processes per target (libFuzzer -fork=n).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(url values query)

# What the project needs (tools/install-deps.sh), plus the sanitizer and libFuzzer runtimes.
bash tools/install-deps.sh libclang-rt-14-dev

build=build/fuzz
cmake -S fuzz -B "$build" -DCMAKE_CXX_COMPILER=clang++ >/dev/null
# All of fuzz/ at once (the three targets and nothing else), so that their translation units
# build in parallel: CMake's makefiles build the targets named with --target one after another.
cmake --build "$build" -j"$(nproc)"

# The targets run side by side (one libFuzzer process each is single-threaded), then their
# results are reported in order.
run_target() {
  local t=$1 corpus="$build/corpus/$1" artifacts="$build/artifacts/$1/" log="$build/$1.log"
  mkdir -p "$corpus" "$artifacts"
  local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1
              -artifact_prefix="$artifacts")
  [ -f "fuzz/$t.dict" ] && args+=(-dict="fuzz/$t.dict")
  [ -n "${FUZZ_JOBS:-}" ] && args+=(-fork="$FUZZ_JOBS")
  # Known crashes first: each file under fuzz/regressions/<target>/ must now pass.
  local regressions=0
  if compgen -G "fuzz/regressions/$t/*" >/dev/null; then
    "$build/fuzz_$t" fuzz/regressions/"$t"/* >"$build/$t.regressions.log" 2>&1 || regressions=1
  fi
  echo "$regressions" >"$build/$t.regressions.rc"
  # The seed corpus is read, never written: new inputs go to $corpus.
  local rc=0
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/fuzz_$t" "${args[@]}" "$corpus" "fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  echo "$rc" >"$build/$t.rc"
}

rm -f "$build"/*.rc  # a run that dies before writing its result must not read an old one
for t in "${targets[@]}"; do
  echo "=== fuzz_$t: ${seconds}s ==="
  run_target "$t" &
done
wait

status=0
summary=()
for t in "${targets[@]}"; do
  log="$build/$t.log"
  if [ "$(cat "$build/$t.regressions.rc")" != 0 ]; then
    echo "fuzz_$t: a saved regression input fails again (see $build/$t.regressions.log)"
    status=1
  fi
  rc=$(cat "$build/$t.rc")
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  rate=$(grep -o 'exec/s: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  if [ "$rc" -ne 0 ]; then
    status=1
    echo "fuzz_$t: FOUND A PROBLEM (exit $rc); last lines of $log:"
    grep -E 'STRUCTQL FUZZ FAILURE|ERROR: |runtime error|SUMMARY|Test unit written|deadly signal' "$log" | head -20 || true
  fi
  line="fuzz_$t: ${execs:-?} executions in ${seconds}s (${rate:-?} exec/s), corpus $(ls "$build/corpus/$t" | wc -l) files, $([ "$rc" -eq 0 ] && echo ok || echo FAILED)"
  echo "$line"
  summary+=("$line")
done
echo "=== summary ==="
printf '%s\n' "${summary[@]}"
exit $status
