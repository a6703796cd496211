#!/usr/bin/env bash
# Loads the same generated snapshots into an empty DuckDB file and into a throwaway
# PostgreSQL cluster, then compares every view row by row (sorted CSV of `marina-etl query`).
# Prints, per view, its rows on each backend and how many rows differ; exits 1 on any
# difference.
#
# usage: scripts/compare-backends.sh      (SCALE=1 BENCH_DIR=bench-data by default)
set -euo pipefail
SCALE="${SCALE:-1}"
source "$(dirname "$0")/lib.sh"
WORK="$(realpath -m "${BENCH_DIR:-bench-data}")"
start_pg_cluster -c fsync=off

data="$WORK/scale-$SCALE/day1"
[ -d "$data" ] || "$BIN" generate --out "$data" --scale "$SCALE" >/dev/null
out="$PGROOT/out"
mkdir -p "$out"
config "duckdb://$out/compare.duckdb" "$data" >"$out/duckdb.toml"
config "$PGURL/postgres" "$data" >"$out/postgres.toml"
for backend in duckdb postgres; do
  "$BIN" --config "$out/$backend.toml" run >/dev/null
done

views=$("$BIN" --config "$out/duckdb.toml" query --format csv \
  "SELECT table_name FROM information_schema.tables WHERE table_type = 'VIEW' ORDER BY 1" | tail -n +2)
differ=0
printf '%-36s %9s %9s %9s\n' view duckdb postgres differing
for view in $views; do
  for backend in duckdb postgres; do
    "$BIN" --config "$out/$backend.toml" query --format csv --limit 100000000 "SELECT * FROM $view" |
      tail -n +2 | LC_ALL=C sort >"$out/$view.$backend"
  done
  n=$(LC_ALL=C comm -3 "$out/$view.duckdb" "$out/$view.postgres" | wc -l)
  printf '%-36s %9d %9d %9d\n' "$view" "$(wc -l <"$out/$view.duckdb")" "$(wc -l <"$out/$view.postgres")" "$n"
  if [ "$n" -ne 0 ]; then
    differ=1
    LC_ALL=C comm -3 "$out/$view.duckdb" "$out/$view.postgres" | head -6 | sed 's/^/    /'
  fi
done
exit $differ
