#!/usr/bin/env bash
# Lock acquire+release cycles per second, uncontended (1 client) and contended (16 clients on one
# lock), with the acquire latency's p50 and p99, in one sitting:
#   (a) the .NET client's DistributedLock on a 3-node Colony cluster,
#   (b) kazoo's Lock on a 3-server Apache ZooKeeper 3.8 ensemble (tests/compat/reference-ensemble.sh),
#   (c) kazoo's Lock on the same Colony cluster.
# All on loopback, fsync on. Each fresh server first takes WARMUP seconds of the same load, not
# counted (16 .NET clients on one lock, against either system), so that both are measured in their
# steady state, after their runtimes (.NET's tiered compiler, the JVM's JIT) have compiled the hot paths.
#
#   bench/locks/compare.sh [SECONDS] [BASE_PORT] [WARMUP]   # defaults: 10 s a run, ports 34100… and 34500…, 15 s
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-10}
base=${2:-34100}
warmup=${3:-15}
work=$(mktemp -d /tmp/colony-lock-bench-XXXX)
trap 'tests/compat/reference-ensemble.sh stop "$work/reference" >/dev/null 2>&1 || true; ./colony down --data "$work/colony" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

dotnet build bench/locks/LockBench -c Release -v quiet -nologo >/dev/null
lockbench=$(ls bench/locks/LockBench/bin/Release/*/LockBench.dll | head -n 1)

run() {
  local name=$1; shift
  for clients in 1 16; do
    echo "$name load=$(cut -d' ' -f1 /proc/loadavg) $("$@" "$clients" "$seconds")"
  done
}

warm() {
  echo "warm-up $1 load=$(cut -d' ' -f1 /proc/loadavg) $(dotnet "$lockbench" "$2" 16 "$warmup")"
}

./colony up --data "$work/colony" --base-port "$base" >/dev/null
colony="127.0.0.1:$base,127.0.0.1:$((base + 10)),127.0.0.1:$((base + 20))"
warm colony "$colony"
run "dotnet-on-colony" dotnet "$lockbench" "$colony"
run "kazoo-on-colony" /usr/bin/python3 bench/locks/kazoo_locks.py "$colony"
./colony down --data "$work/colony" >/dev/null

zookeeper=$(tests/compat/reference-ensemble.sh start "$work/reference" $((base + 400)))
warm zookeeper "$zookeeper"
run "kazoo-on-zookeeper" /usr/bin/python3 bench/locks/kazoo_locks.py "$zookeeper"
tests/compat/reference-ensemble.sh stop "$work/reference" >/dev/null
