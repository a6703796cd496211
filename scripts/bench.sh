#!/usr/bin/env bash
# Load benchmark: builds the release binary, generates two daily snapshots at each scale,
# and measures, REPEAT times each, into an empty DuckDB warehouse:
#   cold      first load of day 1 (discover, decompress, decode, stage, merge)
#   reload    the same snapshot again with --force (members unchanged since their last
#             publish are not read again)
#   full      the same snapshot again with --force --full (every member read and merged)
#   skip      the same snapshot again without --force (nothing to do)
#   next-day  the day-2 snapshot on top of day 1
# It prints wall seconds, rows per second, peak resident memory and the seconds per phase
# that the run reports for each source.
#
# usage: scripts/bench.sh            (SCALES="1 10" REPEAT=3 BENCH_DIR=bench-data by default)
set -euo pipefail
SCALES="${SCALES:-1 10}"
REPEAT="${REPEAT:-3}"
source "$(dirname "$0")/lib.sh"
WORK="$(realpath -m "${BENCH_DIR:-bench-data}")"

report() { # $1 = label, $2 = scale, $3 = measurement line
  local secs mb rows phases
  read -r secs mb rows phases <<<"$3"
  local rate=0
  if [ "${rows:-0}" -gt 0 ]; then rate=$(awk -v r="$rows" -v s="$secs" 'BEGIN { printf "%d", r / s }'); fi
  printf '%-6s %-9s %7.2f s %9s rows %10s rows/s %6s MB  %s\n' "$2" "$1" "$secs" "$rows" "$rate" "$mb" "$phases"
}

printf '%-6s %-9s %9s %14s %17s %9s  %s\n' scale phase wall read rate peak-RSS "$PHASES_HEADER"
for scale in $SCALES; do
  data="$WORK/scale-$scale"
  if [ ! -d "$data/day2" ]; then
    rm -rf "$data"
    "$BIN" generate --out "$data/day2" --scale "$scale" --days 2 >/dev/null
    # Day 1 alone: hard links to the older archive of each system (same mtime).
    for s in molo stellar netsuite; do
      mkdir -p "$data/day1/$s"
      oldest=$(ls -tr "$data/day2/$s" | head -1)
      ln -f "$data/day2/$s/$oldest" "$data/day1/$s/$oldest"
    done
  fi
  wh="$data/warehouse.duckdb"
  config "duckdb://$wh" "$data/day1" >"$data/day1.toml"
  config "duckdb://$wh" "$data/day2" >"$data/day2.toml"
  for i in $(seq "$REPEAT"); do
    rm -f "$wh" "$wh.wal" "$wh.lock"
    report cold "$scale" "$(measure "$data/day1.toml")"
    report reload "$scale" "$(measure "$data/day1.toml" --force)"
    report full "$scale" "$(measure "$data/day1.toml" --force --full)"
    report skip "$scale" "$(measure "$data/day1.toml")"
    report next-day "$scale" "$(measure "$data/day2.toml")"
  done
done
