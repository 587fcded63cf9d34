#!/bin/sh
# Sort 100-byte records (10-byte keys) with GNU sort (LC_ALL=C) and with the Colony engine's
# sort job run locally; checks the outputs are identical. usage: bench/wordcount/sort-compare.sh [BYTES] [DIR]
set -eu
BYTES=${1:-1073741800}
DIR=${2:-/tmp/colony-sort}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$DIR"
INPUT="$DIR/records-$BYTES.txt"

dotnet build "$ROOT/bench/Colony.WordCountBench" -c Release -v quiet -nologo >/dev/null
BENCH="dotnet $ROOT/bench/Colony.WordCountBench/bin/Release/net10.0/Colony.WordCountBench.dll"
[ -f "$INPUT" ] || $BENCH records --bytes "$BYTES" --out "$INPUT"
cat "$INPUT" >/dev/null

echo "== $BYTES bytes of 100-byte records, $(nproc) cores"
start=$(date +%s.%N)
LC_ALL=C sort --parallel=2 -S 1G -T "$DIR" "$INPUT" >"$DIR/gnu.out"
end=$(date +%s.%N)
awk -v b="$BYTES" -v s="$(echo "$end - $start" | bc)" 'BEGIN { printf "GNU sort --parallel=2: %.1f MB/s, wall %.2f s\n", b / 1e6 / s, s }'

$BENCH sort "$INPUT" --parallel 2 --reducers 2 --out "$DIR/colony-out"
cat "$DIR"/colony-out/part-* | cmp - "$DIR/gnu.out" && echo "outputs identical"
rm -rf "$DIR/colony-out" "$DIR/gnu.out"
