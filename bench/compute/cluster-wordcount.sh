#!/bin/sh
# Word count on a local 3-node Colony cluster: the corpus bench/wordcount/compare.sh generates, stored
# with replication 3 in 64 MiB blocks, counted by `colony job run wordcount`. Prints MB/s, wall time, the
# CPU seconds the whole machine spent (so run it on a quiet machine) and the peak memory of the cluster's
# processes (nodes and executors).
# Runs are PAUSE seconds apart, as jobs on a real cluster are: the first meets cold executors, the later
# ones the warmed-up standby executor each worker keeps once it has run a job (see docs/compute.md).
# usage: bench/compute/cluster-wordcount.sh [BYTES] [DIR] [RUNS] [PAUSE]
set -eu
BYTES=${1:-1073741824}
DIR=${2:-/tmp/colony-wordcount}
RUNS=${3:-4}
PAUSE=${4:-15}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
COLONY="$ROOT/colony"
DATA="$DIR/cluster"
CORPUS="$DIR/corpus-$BYTES.txt"
mkdir -p "$DIR"

dotnet build "$ROOT/bench/Colony.WordCountBench" -c Release -v quiet -nologo >/dev/null
BENCH="dotnet $ROOT/bench/Colony.WordCountBench/bin/Release/net10.0/Colony.WordCountBench.dll"
[ -f "$CORPUS" ] || $BENCH generate --bytes "$BYTES" --out "$CORPUS"

"$COLONY" up --data "$DATA" --base-port 25000 >/dev/null
# Files get the replication the leader can place when they are created: wait for all three data nodes.
until [ "$("$COLONY" fs datanodes --json --data "$DATA" 2>/dev/null | grep -o '"alive"' | wc -l)" -ge 3 ]; do sleep 0.2; done
trap '"$COLONY" down --data "$DATA" >/dev/null' EXIT
if ! "$COLONY" fs stat "/bench/corpus-$BYTES" --data "$DATA" >/dev/null 2>&1; then
  start=$(date +%s.%N)
  "$COLONY" fs put "$CORPUS" "/bench/corpus-$BYTES" --replication 3 --data "$DATA"
  end=$(date +%s.%N)
  awk -v b="$BYTES" -v s="$(echo "$end - $start" | bc)" 'BEGIN { printf "put: %.1f MB/s (replication 3)\n", b / 1e6 / s }'
fi

busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
pids() { # the nodes and everything they started
  for pid in $(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$DATA/cluster.json"); do
    echo "$pid"; pgrep -P "$pid" || true
  done
}
sample_rss() { # peak total RSS in KiB, until the marker file goes away
  peak=0
  while [ -f "$1" ]; do
    total=0
    for pid in $(pids); do
      rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
      total=$((total + ${rss:-0}))
    done
    [ "$total" -gt "$peak" ] && peak=$total
    sleep 0.2
  done
  echo "$peak" >"$1.peak"
}

tick=$(getconf CLK_TCK)
for run in $(seq 1 "$RUNS"); do
  [ "$run" -eq 1 ] || sleep "$PAUSE"
  marker="$DIR/sampling"
  touch "$marker"
  sample_rss "$marker" &
  cpu0=$(busy)
  start=$(date +%s.%N)
  "$COLONY" job run wordcount --input "/bench/corpus-$BYTES" --output "/bench/out-$$-$run" --reducers 2 --data "$DATA" >"$DIR/job-$run.txt"
  end=$(date +%s.%N)
  cpu1=$(busy)
  rm -f "$marker"; wait
  peak=$(cat "$marker.peak")
  awk -v b="$BYTES" -v s="$(echo "$end - $start" | bc)" -v c="$(( (cpu1 - cpu0) ))" -v t="$tick" -v m="$peak" -v r="$run" \
    'BEGIN { printf "colony cluster run %d: %.1f MB/s, wall %.2f s, CPU %.1f s, peak RSS %.0f MiB\n", r, b / 1e6 / s, s, c / t, m / 1024 }'
  head -n 1 "$DIR/job-$run.txt"
  "$COLONY" fs rm -r --skip-trash "/bench/out-$$-$run" --data "$DATA" >/dev/null
done
