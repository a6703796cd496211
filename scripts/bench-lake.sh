#!/usr/bin/env bash
# The lake's speed (issue 16), at scale 1 into an empty DuckDB warehouse, REPEAT times:
#   export-full   `export --views --history --full` of the day-1 warehouse to a local folder
#   export-incr   `export --views --history` after the day-2 load on top (changed only)
#   tables-*      the same for the tables alone (`export`), +history-* with `--history`
#   replay-7      `replay` of 7 daily snapshots per source into an empty warehouse
#                 (SOURCES, default molo stellar netsuite), one after the other, then of
#                 the three sources together (a day's three snapshots in one run)
#
# usage: scripts/bench-lake.sh     (REPEAT=2 BENCH_DIR=bench-data SCALE=1 DAYS=7)
set -euo pipefail
REPEAT="${REPEAT:-2}"
SCALE="${SCALE:-1}"
DAYS="${DAYS:-7}"
source "$(dirname "$0")/lib.sh"
WORK="$(realpath -m "${BENCH_DIR:-bench-data}")"
data="$WORK/lake-scale-$SCALE"
if [ ! -d "$data/days/molo" ]; then
  "$BIN" generate --out "$data/days" --scale "$SCALE" --days "$DAYS" --date 2025-12-21 >/dev/null
fi
for day in 1 2; do
  for s in molo stellar netsuite; do
    mkdir -p "$data/day$day/$s"
    for f in $(ls -tr "$data/days/$s" | head -"$day"); do ln -f "$data/days/$s/$f" "$data/day$day/$s/$f"; done
  done
done
db="$WORK/lake.duckdb"
config "duckdb://$db" "$data/day1" >"$WORK/lake-day1.toml"
config "duckdb://$db" "$data/day2" >"$WORK/lake-day2.toml"
config "duckdb://$db" "$data/days" >"$WORK/lake-days.toml"

timed() { # $1 = label, rest = command
  local label=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$WORK/time" "$@" >"$WORK/out" 2>&1 || { echo "$label failed:"; tail -3 "$WORK/out"; }
  read -r secs kb user sys < <(tail -1 "$WORK/time")
  # CPU seconds too: on a shared machine they vary less than the wall time.
  printf '%-12s %6.2f s  cpu %6.2f s  peak %4d MB  %s\n' "$label" "$secs" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$((kb / 1024))" "$(tail -1 "$WORK/out")"
}

# The machine's speed varies by a third or more within an hour (a shared host): a fixed
# single-threaded loop, timed before each round, tells a slow round from a slow build.
machine_speed() {
  printf '%-12s %6.2f s  (a fixed Python loop; about 0.6 s when the machine is quick)\n' "machine" \
    "$( { /usr/bin/time -f %e python3 -c 'sum(range(3 * 10**7))' >/dev/null; } 2>&1 )"
}

# The day-1 and day-2 warehouses, loaded once and copied for each measure.
rm -f "$db" "$db.wal" "$db.lock"
"$BIN" --config "$WORK/lake-day1.toml" run >/dev/null 2>&1 || true
cp "$db" "$WORK/day1.duckdb"
"$BIN" --config "$WORK/lake-day2.toml" run >/dev/null 2>&1 || true
cp "$db" "$WORK/day2.duckdb"
exports() { # $1 = label, rest = what to export
  local label=$1; shift
  rm -rf "$WORK/lake" "$db.wal"
  cp "$WORK/day1.duckdb" "$db"
  timed "$label-full" "$BIN" --config "$WORK/lake-day1.toml" export --to "$WORK/lake" --full "$@"
  cp "$WORK/day2.duckdb" "$db"
  timed "$label-incr" "$BIN" --config "$WORK/lake-day2.toml" export --to "$WORK/lake" "$@"
}
for i in $(seq "$REPEAT"); do
  machine_speed
  exports export --views --history
  echo "             lake: $(du -sh "$WORK/lake" | cut -f1)"
  exports tables
  exports +history --history
done
for i in $(seq "$REPEAT"); do
  machine_speed
  rm -f "$db" "$db.wal" "$db.lock"
  for s in ${SOURCES:-molo stellar netsuite}; do
    timed "replay-$DAYS $s" "$BIN" --config "$WORK/lake-days.toml" replay --source "$s" --from 2025-12-01 --to 2025-12-21
  done
  rm -f "$db" "$db.wal" "$db.lock"
  timed "replay-$DAYS all" "$BIN" --config "$WORK/lake-days.toml" replay --from 2025-12-01 --to 2025-12-21
done
