#!/usr/bin/env bash
# Quick start 3: builds examples/backend (the seed's backend as an HTTP service) and starts it
# on http://127.0.0.1:8000 with the seed's database, ./sql_app.db (SQLite). Installs what it
# needs first. Arguments go to the service: --port N, --host ADDRESS, --threads N, and a
# database URL (or set DATABASE_URL), e.g. postgresql://user:password@host/db.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
cmake -S . -B build/backend -DCMAKE_BUILD_TYPE=Release -DSTRUCTQL_BUILD_TESTS=OFF -DSTRUCTQL_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/backend --target pessoas_backend -j"$(nproc)"
exec ./build/backend/examples/backend/pessoas_backend "$@"
