#!/usr/bin/env bash
# Peak memory of the ingest stage alone on a large synthetic interactions file.
# usage: bash bench/ingest-rss.sh [ROWS=5000000] [PAYLOAD_CHARS=400] [ROWS_PER_GROUP=1000000]
# Writes ROWS interactions (1M users, 100k items, int64 ids) plus an ignored 'payload' column of PAYLOAD_CHARS random
# characters per row into a temporary dataset, runs `batchrec ingest` on it under /usr/bin/time -v and prints the
# file size, the ingest counts, the wall time and the peak RSS. The second pass ingests the same input again (the
# partition store is reused). Everything is deleted afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-5000000}
payload=${2:-400}
group=${3:-1000000}
dotnet build host/BatchRec.Host -c Release -v quiet -nologo >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/input/interactions"
dotnet fsi bench/make-interactions.fsx "$tmp/input/interactions/part-0.parquet" "$rows" "$payload" "$group"
cat >"$tmp/config.json" <<JSON
{ "dataset": { "name": "bench", "input": "input", "output": "out", "work": "work" } }
JSON
for pass in first second; do
  log="$tmp/ingest-$pass.log"
  /usr/bin/time -v dotnet host/BatchRec.Host/bin/Release/net10.0/linux-x64/batchrec.dll ingest --config "$tmp/config.json" --date 2026-11-28 >"$log" 2>&1 || { tail -40 "$log"; exit 1; }
  echo "== $pass pass"
  grep -E "Partition |Ingest of bench" "$log" | sed 's/^\[[^]]*\] //'
  grep -E "Elapsed \(wall clock\)|Maximum resident set size" "$log" | sed 's/^\s*//'
done
