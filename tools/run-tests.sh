#!/usr/bin/env bash
# Quick start 2: builds everything with g++ and with clang and runs every test with both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
status=0
for compiler in g++ clang++; do
  dir="build/test-${compiler%%+*}"
  echo "=== $compiler ==="
  CXX=$compiler cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build "$dir" -j"$(nproc)"
  (cd "$dir" && ctest --output-on-failure -j"$(nproc)") || status=1
done
exit $status
