#!/usr/bin/env bash
# Text-encoding speed on the bundled sample: every item text (title, genres, user tags) through the MiniLM encoder
# with an empty, temporary cache (sentences/s), then again through that cache. Rows appended to bench/results/bench.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run --project host/BatchRec.Host -c Release -- bench-text --config configs/bench-lightgcn.json --label sample-text "$@"
