#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, listening only on a unix socket in DIR.
#
#   server.sh start DIR     initdb into DIR/data, start the server (socket in DIR), create the
#                           database structql_test; prints the URL the tests connect with
#   server.sh restart DIR   pg_ctl restart (fast: open connections are cut)
#   server.sh stop DIR      stop the server and remove DIR
#
# ctest runs `start` and `stop` as the FIXTURES_SETUP / FIXTURES_CLEANUP of the tests that need a
# server (tests/CMakeLists.txt); test_postgresql.cpp starts a private one to restart it.
# PostgreSQL refuses to run as root: as root, DIR is given to the `postgres` user and initdb /
# pg_ctl run through `runuser -u postgres --`. Without server binaries (STRUCTQL_PG_BIN, default
# /usr/lib/postgresql/15/bin) `start` says so and succeeds, and the tests skip.
set -euo pipefail
command=${1:?usage: server.sh start|restart|stop DIR}
dir=${2:?usage: server.sh start|restart|stop DIR}
bin=${STRUCTQL_PG_BIN:-/usr/lib/postgresql/15/bin}
as_server=()
if [ "$(id -u)" -eq 0 ]; then as_server=(runuser -u postgres --); fi
url="postgresql://postgres@/structql_test?host=$dir"

stop() {
  if [ -f "$dir/data/postmaster.pid" ]; then
    "${as_server[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
}

case "$command" in
  start)
    if [ ! -x "$bin/initdb" ]; then
      echo "no PostgreSQL server in $bin (install postgresql-15): the PostgreSQL tests will be skipped"
      exit 0
    fi
    stop  # a server left behind by an interrupted run
    rm -rf "$dir"
    mkdir -p "$dir"
    chmod 700 "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; fi
    if ! "${as_server[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C --no-sync \
        >"$dir/initdb.log" 2>&1; then
      cat "$dir/initdb.log" >&2
      exit 1
    fi
    # Durability is not what the tests check: no fsync, and a socket only in DIR.
    if ! "${as_server[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null; then
      cat "$dir/server.log" >&2
      exit 1
    fi
    "$bin/psql" -X -q -h "$dir" -U postgres -d postgres -c "CREATE DATABASE structql_test" >/dev/null
    echo "$url"
    ;;
  restart)
    "${as_server[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart >/dev/null
    ;;
  stop)
    stop
    rm -rf "$dir"
    ;;
  *)
    echo "usage: server.sh start|restart|stop DIR" >&2
    exit 2
    ;;
esac
