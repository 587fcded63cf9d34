#!/bin/sh
# Put and get one file on a local 3-node Colony cluster (replication 3), like the MooseFS comparison:
# random data generated into /dev/shm first, `colony fs put` timed (the last ack leaves after every replica
# is fsynced), page cache dropped, `colony fs get` to /dev/null timed, then a verified read. Two CPU figures per GiB
# moved: the whole machine's (meaningful on a quiet machine only), and "own": the three nodes' and the client's
# own CPU (user + system, from /proc/PID/stat and time), which other work on a shared machine does not inflate.
# TLS=1 makes the cluster with `colony up --tls` (HTTPS, and block transfers inside mutual TLS);
# BASE_PORT moves its ports (default 25100); KEEP=1 keeps the cluster's directory (DIR/cluster) afterwards.
# usage: [TLS=1] [BASE_PORT=P] [KEEP=1] bench/storage/put-get.sh [SIZE_MIB] [RUNS] [DIR]
set -eu
SIZE=${1:-1024}
RUNS=${2:-3}
DIR=${3:-/tmp/colony-putget}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
COLONY="$ROOT/colony"
DATA="$DIR/cluster"
mkdir -p "$DIR"

SRC=$(mktemp /dev/shm/colony-src.XXXXXX)
# The cluster is scratch: its blocks go with it (a deleted file's blocks are collected lazily, and a
# stopped cluster never collects them), unless KEEP=1.
cleanup() { "$COLONY" down --data "$DATA" >/dev/null 2>&1 || true; [ "${KEEP:-0}" = 1 ] || rm -rf "$DATA"; }
trap 'rm -f "$SRC"; cleanup' EXIT
head -c "$((SIZE * 1048576))" /dev/zero | openssl enc -aes-128-ctr -nosalt -pbkdf2 -iter 1 -pass "pass:colony-$SIZE" >"$SRC"
SUM=$(sha256sum "$SRC" | cut -d' ' -f1)
if [ "${TLS:-0}" = 1 ]; then TLS_FLAG=--tls; else TLS_FLAG=; fi
# shellcheck disable=SC2086 # TLS_FLAG is empty or one word
"$COLONY" up --data "$DATA" --base-port "${BASE_PORT:-25100}" $TLS_FLAG >/dev/null
# Files get the replication the leader can place when they are created: wait for all three data nodes.
until [ "$("$COLONY" fs datanodes --json --data "$DATA" 2>/dev/null | grep -o '"alive"' | wc -l)" -ge 3 ]; do sleep 0.2; done

busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
PIDS=$(jq -r '.nodes[].pid' "$DATA/cluster.json")
own() { t=0; for p in $PIDS; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo "$t"; }
now() { date +%s.%N; }
tick=$(getconf CLK_TCK)
CLIENT_CPU=$(mktemp)
trap 'rm -f "$SRC" "$CLIENT_CPU"; cleanup' EXIT
timed() { /usr/bin/time -o "$CLIENT_CPU" -f "%U %S" "$@"; }
report() { # label start end machine-cpu0 machine-cpu1 nodes-cpu0 nodes-cpu1 (ticks); the client's seconds in $CLIENT_CPU
  awk -v l="$1" -v s="$SIZE" -v a="$2" -v b="$3" -v c="$(( $5 - $4 ))" -v n="$(( $7 - $6 ))" -v t="$tick" -v client="$(cat "$CLIENT_CPU")" \
    'BEGIN { split(client, u, " "); own = n / t + u[1] + u[2]; gib = s / 1024
             printf "%s: %.1f MiB/s, %.2f s, %.1f CPU-s/GiB, own %.2f CPU-s/GiB (nodes %.2f, client %.2f)\n", l, s / (b - a), b - a, c / t / gib, own / gib, n / t / gib, (u[1] + u[2]) / gib }'
}

for run in $(seq 1 "$RUNS"); do
  sync
  c0=$(busy); n0=$(own); t0=$(now)
  timed "$COLONY" fs put "$SRC" "/bench/put-$run" --replication 3 --data "$DATA" 2>/dev/null
  t1=$(now); c1=$(busy); n1=$(own)
  report "run $run put" "$t0" "$t1" "$c0" "$c1" "$n0" "$n1"
  "$COLONY" fs stat "/bench/put-$run" --json --data "$DATA" | grep -q '"replication": *3' || { echo "run $run: not 3 replicas"; exit 1; }
  sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || echo "(page cache not dropped)"
  c0=$(busy); n0=$(own); t0=$(now)
  timed "$COLONY" fs get "/bench/put-$run" - --data "$DATA" 2>/dev/null >/dev/null
  t1=$(now); c1=$(busy); n1=$(own)
  report "run $run get" "$t0" "$t1" "$c0" "$c1" "$n0" "$n1"
  got=$("$COLONY" fs get "/bench/put-$run" - --data "$DATA" 2>/dev/null | sha256sum | cut -d' ' -f1)
  [ "$got" = "$SUM" ] || { echo "run $run: MISMATCH"; exit 1; }
  "$COLONY" fs rm --skip-trash "/bench/put-$run" --data "$DATA" >/dev/null
done
