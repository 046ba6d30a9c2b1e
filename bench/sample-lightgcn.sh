#!/usr/bin/env bash
# Quality and speed of LightGCN on the bundled sample under the reference protocol (configs/bench-lightgcn.json).
# Prints seconds per epoch, the best validation epoch and the test metrics at 10, read back from the run's log.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
/usr/bin/time -v dotnet run --project host/BatchRec.Host -c Release -- run --config configs/bench-lightgcn.json "$@" >"$log" 2>&1 || { tail -40 "$log"; exit 1; }
grep -E "Trained [0-9]+ epochs|test (recall|ndcg|mrr|hit|precision)@(10|20) =|Stage [a-z]+ of run .* finished" "$log" | sed 's/^\[[^]]*\] //'
grep -E "Elapsed \(wall clock\)|Maximum resident set size" "$log" | sed 's/^\s*//'
rm -f "$log"
