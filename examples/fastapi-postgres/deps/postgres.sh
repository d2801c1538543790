#!/bin/sh
# A private PostgreSQL for one perfgate run: a fresh data directory, loopback only on $PORT,
# no fsync (a benchmark's database, not a store). As root it runs as the postgres user
# (PostgreSQL refuses to run as root). perfgate stops it with SIGTERM (a fast shutdown: SIGINT to
# PostgreSQL); the data goes with it.
set -eu
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$BIN" ] || [ ! -x "$BIN/postgres" ]; then
  echo "PostgreSQL is not installed: apt-get install postgresql" >&2
  exit 1
fi
DATA=$(mktemp -d "${TMPDIR:-/tmp}/perfgate-pg-XXXXXX")
OPTS="-D $DATA -p $PORT -h 127.0.0.1 -k $DATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
if [ "$(id -u)" = 0 ]; then
  chown postgres "$DATA"
  setpriv --reuid=postgres --regid=postgres --init-groups "$BIN/initdb" -D "$DATA" -U perfgate --auth=trust -E UTF8 --no-sync >/dev/null
  # shellcheck disable=SC2086
  setpriv --reuid=postgres --regid=postgres --init-groups "$BIN/postgres" $OPTS &
else
  "$BIN/initdb" -D "$DATA" -U perfgate --auth=trust -E UTF8 --no-sync >/dev/null
  # shellcheck disable=SC2086
  "$BIN/postgres" $OPTS &
fi
pid=$!
# SIGINT is PostgreSQL's fast shutdown: clients disconnected, a clean checkpoint, then exit.
trap 'kill -INT "$pid" 2>/dev/null; wait "$pid" || true; rm -rf "$DATA"; exit 0' TERM INT
wait "$pid" || true
rm -rf "$DATA"
