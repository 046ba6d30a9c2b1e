#!/usr/bin/env bash
# Scale benchmark: synthetic data of SIZE (1m | 5m | 20m | sample) through the whole nightly chain in one process,
# measured per stage by `batchrec bench` (seconds, the process's peak RSS during each stage, ingest rows/s, seconds
# per epoch, scoring users/s), plus the whole process's wall time from /usr/bin/time (not its maximum RSS: the
# harness resets the peak at each stage start, so the run's peak is the largest stage peak, its "total" row).
#   bash bench/scale.sh 1m          # 1M interactions, 50k users, 10k items  (configs/bench-1m.json)
#   bash bench/scale.sh 5m          # 5M, 250k users, 50k items              (configs/bench-5m.json)
#   bash bench/scale.sh 20m         # 20M, 1M users, 200k items              (configs/bench-20m.json)
#   bash bench/scale.sh 5m-gat      # gat, full-graph propagation per batch, one epoch on the 5M data
#   bash bench/scale.sh 5m-gat-sampled   # the same with neighbour sampling (train.fanout [10, 10])
#   bash bench/scale.sh sample      # the bundled sample with the reference LightGCN protocol
#                                   # (configs/bench-lightgcn.json) and the scoring ratio (5 repetitions)
# The data is generated once into data/synth/SIZE (seeded, ~15 bytes per interaction on disk). Rows are appended to
# bench/results/bench.csv (and one Parquet file per run); the work and output folders of earlier runs are removed
# first, so every run starts without a champion and with an empty text cache.
# OMP_WAIT_POLICY=PASSIVE keeps libtorch's threads from busy-waiting when the machine is shared (docs/operations.md).
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:?usage: bash bench/scale.sh 1m|5m|20m|sample}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
dotnet build host/BatchRec.Host -c Release -v quiet -nologo >/dev/null
bin=host/BatchRec.Host/bin/Release/net10.0/linux-x64/batchrec
case "$size" in
  sample) config=configs/bench-lightgcn.json; work=work/bench-lightgcn; out=out/bench-lightgcn; extra=(--scoring-reps 5) ;;
  1m|5m|20m|5m-gat|5m-gat-sampled)
    config=configs/bench-$size.json; work=work/bench-$size; out=out/bench-$size; extra=()
    data=${size%%-*}; n=$(( ${data%m} * 1000000 ))
    [ -d "data/synth/$data/interactions" ] || "$bin" synth --out "data/synth/$data" --interactions "$n" ;;
  *) echo "unknown size '$size'" >&2; exit 2 ;;
esac
rm -rf "$work" "$out"
log=$(mktemp)
/usr/bin/time -v "$bin" bench --config "$config" --label "$size" --results bench/results "${extra[@]}" >"$log" 2>&1 || { tail -40 "$log"; exit 1; }
grep -E "bench $size |Scoring ratio" "$log" | sed 's/^\[[^]]*\] //'
grep -E "Elapsed \(wall clock\)" "$log" | sed 's/^\s*//'
rm -f "$log"
