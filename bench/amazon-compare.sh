#!/usr/bin/env bash
# The model comparison on the sparse development dataset, Amazon Sports (benchmark only: it is read from
# ../shared/data/amazon-sports beside this checkout and never committed): every model, seeds 2020-2022, one split.
# Writes out/amazon-sports/comparison/comparison.{parquet,csv,md}.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
exec dotnet run --project host/BatchRec.Host -c Release -- compare --config bench/amazon-sports.json --seeds 2020,2021,2022 \
  --models popularity,bpr-mf,lightgcn,ease,ease:side,gat-text,auto "$@"
