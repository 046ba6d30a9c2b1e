#!/usr/bin/env bash
# The model comparison on the bundled sample: all five models, seeds 2020-2022, one snapshot and split
# (configs/compare-sample.json). Writes out/compare/comparison/comparison.{parquet,csv,md} and prints the table.
# With --cold: the cold-start comparison instead (configs/compare-cold.json, gat-text and the reference rankings).
# OMP_WAIT_POLICY=PASSIVE keeps libtorch's threads from busy-waiting when the machine is shared (README).
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
if [ "${1:-}" = "--cold" ]; then
  exec dotnet run --project host/BatchRec.Host -c Release -- compare --config configs/compare-cold.json --models gat-text --seeds 2020
fi
exec dotnet run --project host/BatchRec.Host -c Release -- compare --config configs/compare-sample.json --seeds 2020,2021,2022 "$@"
