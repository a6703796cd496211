#!/usr/bin/env bash
# Report benchmark: on a loaded warehouse (default: the scale-1 warehouse of bench.sh),
# times `marina-etl report` REPEAT times (opening the warehouse included) and prints the
# file's size and peak memory.
#
# usage: scripts/bench-report.sh [CONFIG]     (REPEAT=3)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
CONFIG="${1:-bench-data/scale-1/day1.toml}"
REPEAT="${REPEAT:-3}"
OUT="$(mktemp -d)/report.html"
printf '%-4s %9s %9s %10s\n' run wall_s peak_mb file_kb
for i in $(seq "$REPEAT"); do
  /usr/bin/time -f "%e %M" -o "$OUT.time" "$BIN" --config "$CONFIG" report --out "$OUT" >/dev/null
  read -r secs kb < <(tail -1 "$OUT.time")
  printf '%-4s %9.2f %9d %10d\n' "$i" "$secs" $((kb / 1024)) $(( $(stat -c %s "$OUT") / 1024 ))
done
rm -rf "$(dirname "$OUT")"
