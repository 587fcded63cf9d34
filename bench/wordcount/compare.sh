#!/bin/sh
# Word count on a generated Zipf corpus: coreutils, Dask distributed, a tight C# counter and the
# Colony MapReduce engine run locally. usage: bench/wordcount/compare.sh [BYTES] [DIR]
# (BYTES defaults to 1 GiB; the corpus is generated once into DIR and reused).
set -eu
BYTES=${1:-1073741824}
DIR=${2:-/tmp/colony-wordcount}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$DIR"
CORPUS="$DIR/corpus-$BYTES.txt"

dotnet build "$ROOT/bench/Colony.WordCountBench" -c Release -v quiet -nologo >/dev/null
BENCH="dotnet $ROOT/bench/Colony.WordCountBench/bin/Release/net10.0/Colony.WordCountBench.dll"

if [ ! -f "$CORPUS" ]; then
  $BENCH generate --bytes "$BYTES" --out "$CORPUS"
fi
cat "$CORPUS" >/dev/null   # warm the page cache

rate() { # label, seconds
  awk -v b="$BYTES" -v s="$2" -v l="$1" 'BEGIN { printf "%s: %.1f MB/s, wall %.2f s\n", l, b / 1e6 / s, s }'
}

echo "== $BYTES bytes, $(nproc) cores"
start=$(date +%s.%N)
LC_ALL=C tr -s ' \n' '\n' <"$CORPUS" | LC_ALL=C sort | LC_ALL=C uniq -c >"$DIR/coreutils.out"
end=$(date +%s.%N)
rate "coreutils (tr | sort | uniq -c)" "$(echo "$end - $start" | bc)"

PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
if "$PY" -c 'import dask.bag, distributed' 2>/dev/null; then
  "$PY" "$ROOT/bench/wordcount/dask_wordcount.py" "$CORPUS" --workers 2 2>/dev/null
else
  echo "dask: not installed (apt-get install -y python3-dask python3-distributed)"
fi

$BENCH reference "$CORPUS" --threads 1
$BENCH reference "$CORPUS" --threads 2
$BENCH local "$CORPUS" --parallel 2 --reducers 2 --split-mib 64 --out "$DIR/colony-out"
rm -rf "$DIR/colony-out"
