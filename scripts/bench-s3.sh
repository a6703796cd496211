#!/usr/bin/env bash
# S3 load benchmark: the same scale-1 snapshots loaded cold into an empty DuckDB warehouse
# from a local folder and from a loopback S3 endpoint (moto's server, objects uploaded
# with boto3), REPEAT times each, plus the bare transfer of the three archives with the
# aws CLI for comparison. Prints wall seconds, peak resident memory and the per-source
# phases the run reports (discover = listing, fetch = download + SHA-256).
#
# usage: scripts/bench-s3.sh        (SCALE=1 REPEAT=3 BENCH_DIR=bench-data by default)
set -euo pipefail
SCALE="${SCALE:-1}"
REPEAT="${REPEAT:-3}"
source "$(dirname "$0")/lib.sh"
WORK="$(realpath -m "${BENCH_DIR:-bench-data}")/s3-scale-$SCALE"
PYTHON="${MARINA_ETL_TEST_PYTHON:-python3}"
mkdir -p "$WORK"
if [ ! -d "$WORK/data/netsuite" ]; then
  "$BIN" generate --out "$WORK/data" --scale "$SCALE" >/dev/null
fi

# moto on a free loopback port; it stops when fd 3 closes (at the latest when this exits).
PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rm -f "$WORK/moto.json"
exec 3> >("$PYTHON" tests/support/s3.py serve "$PORT" >"$WORK/moto.json")
for _ in $(seq 300); do [ -s "$WORK/moto.json" ] && break; sleep 0.1; done
ENDPOINT="http://127.0.0.1:$PORT"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 S3_HELPER_ENDPOINT="$ENDPOINT"
"$PYTHON" tests/support/s3.py bucket bench
for s in molo stellar netsuite; do
  for f in "$WORK/data/$s"/*; do "$PYTHON" tests/support/s3.py put bench "$s/$(basename "$f")=$f"; done
done

config() { # $1 = location of the three sources ("/path" or "s3://bucket"), $2 = warehouse
  printf '[warehouse]\nurl = "duckdb://%s"\n[s3]\nendpoint = "%s"\n' "$2" "$ENDPOINT"
  for s in molo stellar netsuite; do printf '[sources.%s]\nlocation = "%s/%s"\n' "$s" "$1" "$s"; done
}
wh="$WORK/warehouse.duckdb"
config "$WORK/data" "$wh" >"$WORK/local.toml"
config "s3://bench" "$wh" >"$WORK/s3.toml"

measure() { # $1 = label, $2 = config
  rm -f "$wh" "$wh.wal"
  local out; out=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$out.time" "$BIN" --config "$2" run >"$out" 2>/dev/null || true
  local secs kb; read -r secs kb < <(tail -1 "$out.time")
  local phases; phases=$(phases_of "$out")
  printf '%-6s %7.2f s %6d MB  %s\n' "$1" "$secs" "$((kb / 1024))" "$phases"
  rm -f "$out" "$out.time"
}

echo "archives: $(du -ch "$WORK"/data/*/* | tail -1 | cut -f1) in $(ls "$WORK"/data/*/* | wc -l) files"
printf '%-6s %9s %9s  %s\n' from wall peak-RSS "$PHASES_HEADER"
for i in $(seq "$REPEAT"); do
  measure local "$WORK/local.toml"
  measure s3 "$WORK/s3.toml"
  rm -rf "$WORK/copy"
  start=$(date +%s.%N)
  aws --endpoint-url "$ENDPOINT" s3 cp --recursive --quiet s3://bench "$WORK/copy"
  printf 'aws s3 cp of the archives: %.2f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"
done
exec 3>&-
