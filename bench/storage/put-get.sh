#!/bin/sh
# Put and get one file on a local 3-node Colony cluster (replication 3), like the MooseFS comparison:
# random data generated into /dev/shm first, `colony fs put` timed (the last ack leaves after every replica
# is fsynced), page cache dropped, `colony fs get` to /dev/null timed, then a verified read. CPU seconds are
# the whole machine's (run it on a quiet machine), per GiB moved.
# TLS=1 makes the cluster with `colony up --tls` (HTTPS, and block transfers inside mutual TLS);
# BASE_PORT moves its ports (default 25100).
# usage: [TLS=1] [BASE_PORT=P] bench/storage/put-get.sh [SIZE_MIB] [RUNS] [DIR]
set -eu
SIZE=${1:-1024}
RUNS=${2:-3}
DIR=${3:-/tmp/colony-putget}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
COLONY="$ROOT/colony"
DATA="$DIR/cluster"
mkdir -p "$DIR"

SRC=$(mktemp /dev/shm/colony-src.XXXXXX)
trap 'rm -f "$SRC"; "$COLONY" down --data "$DATA" >/dev/null 2>&1 || true' EXIT
head -c "$((SIZE * 1048576))" /dev/zero | openssl enc -aes-128-ctr -nosalt -pbkdf2 -iter 1 -pass "pass:colony-$SIZE" >"$SRC"
SUM=$(sha256sum "$SRC" | cut -d' ' -f1)
if [ "${TLS:-0}" = 1 ]; then TLS_FLAG=--tls; else TLS_FLAG=; fi
# shellcheck disable=SC2086 # TLS_FLAG is empty or one word
"$COLONY" up --data "$DATA" --base-port "${BASE_PORT:-25100}" $TLS_FLAG >/dev/null
# Files get the replication the leader can place when they are created: wait for all three data nodes.
until [ "$("$COLONY" fs datanodes --json --data "$DATA" 2>/dev/null | grep -o '"alive"' | wc -l)" -ge 3 ]; do sleep 0.2; done

busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
now() { date +%s.%N; }
tick=$(getconf CLK_TCK)
report() { # label start end cpu0 cpu1
  awk -v l="$1" -v s="$SIZE" -v a="$2" -v b="$3" -v c="$(( $5 - $4 ))" -v t="$tick" \
    'BEGIN { printf "%s: %.1f MiB/s, %.2f s, %.1f CPU-s/GiB\n", l, s / (b - a), b - a, c / t / (s / 1024) }'
}

for run in $(seq 1 "$RUNS"); do
  sync
  c0=$(busy); t0=$(now)
  "$COLONY" fs put "$SRC" "/bench/put-$run" --replication 3 --data "$DATA" 2>/dev/null
  t1=$(now); c1=$(busy)
  report "run $run put" "$t0" "$t1" "$c0" "$c1"
  "$COLONY" fs stat "/bench/put-$run" --json --data "$DATA" | grep -q '"replication": *3' || { echo "run $run: not 3 replicas"; exit 1; }
  sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || echo "(page cache not dropped)"
  c0=$(busy); t0=$(now)
  "$COLONY" fs get "/bench/put-$run" - --data "$DATA" 2>/dev/null >/dev/null
  t1=$(now); c1=$(busy)
  report "run $run get" "$t0" "$t1" "$c0" "$c1"
  got=$("$COLONY" fs get "/bench/put-$run" - --data "$DATA" 2>/dev/null | sha256sum | cut -d' ' -f1)
  [ "$got" = "$SUM" ] || { echo "run $run: MISMATCH"; exit 1; }
  "$COLONY" fs rm --skip-trash "/bench/put-$run" --data "$DATA" >/dev/null
done
