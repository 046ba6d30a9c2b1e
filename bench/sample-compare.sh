#!/usr/bin/env bash
# The model comparison on the bundled sample: every model and ablation of configs/compare-sample.json, seeds 2020-2022,
# one snapshot and split. Writes out/compare/comparison/comparison.{parquet,csv,md} and prints the tables.
# With --cold: the cold-start comparison instead (configs/compare-cold.json, seed 2020).
# OMP_WAIT_POLICY=PASSIVE keeps libtorch's threads from busy-waiting when the machine is shared (docs/operations.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
if [ "${1:-}" = "--cold" ]; then
  exec dotnet run --project host/BatchRec.Host -c Release -- compare --config configs/compare-cold.json \
    --models ease,ease:side,gat-text:gnn,gat-text --seeds 2020
fi
exec dotnet run --project host/BatchRec.Host -c Release -- compare --config configs/compare-sample.json --seeds 2020,2021,2022 \
  --models popularity,bpr-mf,lightgcn,lightgcn:softmax,gat,ease,ease:side,gat-text:gnn,gat:blend,gat-text,gat-text:user-tags,auto "$@"
