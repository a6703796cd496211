#!/usr/bin/env bash
# PostgreSQL load benchmark: builds the release binary, starts a throwaway PostgreSQL
# cluster (initdb/pg_ctl in a temporary folder, a free loopback port, stopped on exit),
# generates scale 1, and measures REPEAT times, into an empty database:
#   cold      first load (discover, decompress, decode, COPY into staging, merge, views)
#   reload    the same snapshot again with --force (unchanged ZIP members are skipped)
#   full      the same snapshot again with --force --full (every member read and merged)
# For comparison it measures the same cold load into an empty DuckDB file.
# It prints wall seconds, peak resident memory of marina-etl (not of the server) and the
# seconds per phase that the run reports for each source.
#
# usage: scripts/bench-pg.sh        (SCALE=1 REPEAT=3 BENCH_DIR=bench-data by default)
set -euo pipefail
SCALE="${SCALE:-1}"
REPEAT="${REPEAT:-3}"
source "$(dirname "$0")/lib.sh"
WORK="$(realpath -m "${BENCH_DIR:-bench-data}")"
# Durable settings (fsync on): the figures are those of a real server, not of a test one.
start_pg_cluster -c shared_buffers=512MB -c max_wal_size=4GB

report() { # $1 = label, $2 = backend, $3 = measurement line
  local secs mb rows phases
  read -r secs mb rows phases <<<"$3"
  printf '%-9s %-8s %7.2f s %9s rows %6s MB  %s\n' "$1" "$2" "$secs" "$rows" "$mb" "$phases"
}

data="$WORK/scale-$SCALE"
if [ ! -d "$data/day1" ]; then
  rm -rf "$data"
  "$BIN" generate --out "$data/day1" --scale "$SCALE" >/dev/null
fi
duck="$WORK/bench-pg-compare.duckdb"
config "duckdb://$duck" "$data/day1" >"$WORK/bench-duckdb.toml"

printf '%-9s %-8s %9s %14s %9s  %s\n' phase backend wall read peak-RSS "$PHASES_HEADER"
for i in $(seq "$REPEAT"); do
  db="bench_$i"
  psql -qc "CREATE DATABASE $db" "$PGURL/postgres" >/dev/null
  config "$PGURL/$db" "$data/day1" >"$WORK/bench-pg.toml"
  report cold postgres "$(measure "$WORK/bench-pg.toml")"
  report reload postgres "$(measure "$WORK/bench-pg.toml" --force)"
  report full postgres "$(measure "$WORK/bench-pg.toml" --force --full)"
  rm -f "$duck" "$duck.wal" "$duck.lock"
  report cold duckdb "$(measure "$WORK/bench-duckdb.toml")"
done
