#!/usr/bin/env bash
# Builds the benchmark suite in Release and prints the report (docs/benchmarks.md): one command
# to reproduce the published table. Arguments go to tools/bench-report.py, e.g.
#   bash tools/run-benchmarks.sh --repetitions 3 --filter '^memory/'
#   bash tools/run-benchmarks.sh --json-out results.json
# Takes about 5 minutes with --repetitions 3 --min-time 0.2 and longer with the defaults,
# PostgreSQL included (a throwaway server, tests/postgresql/server.sh, when postgresql-15 is
# installed). Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh python3
build=build/bench
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSTRUCTQL_BUILD_TESTS=OFF -DSTRUCTQL_BUILD_EXAMPLES=OFF \
  -DSTRUCTQL_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target structql_benchmarks
# A throwaway PostgreSQL server for the PostgreSQL table (none without its binaries: no table).
pg_dir=/tmp/structql-bench-pg-$$
trap 'bash tests/postgresql/server.sh stop "$pg_dir"' EXIT
pg_url=$(bash tests/postgresql/server.sh start "$pg_dir" | tail -n 1)
if [[ $pg_url == postgresql://* ]]; then export STRUCTQL_BENCH_POSTGRES_URL=$pg_url; else echo "$pg_url" >&2; fi
python3 tools/bench-report.py --binary "$build/benchmarks/structql_benchmarks" "$@"
