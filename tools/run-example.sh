#!/usr/bin/env bash
# Quick start 1: builds examples/pessoas.cpp and runs it against ./sql_app.db (SQLite).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
cmake -S . -B build/example -DCMAKE_BUILD_TYPE=Release -DSTRUCTQL_BUILD_TESTS=OFF -DSTRUCTQL_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/example --target pessoas -j"$(nproc)"
./build/example/examples/pessoas
