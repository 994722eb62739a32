#!/usr/bin/env bash
# Installs what building and testing StructQL needs, from Debian's archive, when missing.
# Usage: tools/install-deps.sh [extra-package ...]
set -euo pipefail
packages=(cmake make g++ clang libsqlite3-dev libboost1.81-dev libboost-url1.81-dev catch2 libbenchmark-dev libsqlitecpp-dev sqlite3 postgresql-15 libpq-dev "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
