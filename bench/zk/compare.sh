#!/usr/bin/env bash
# Runs the same ZooKeeper load against a 3-server Apache ZooKeeper 3.8 ensemble and a 3-node Colony
# cluster, one after the other on this machine, both with fsync on.
#
#   bench/zk/compare.sh ZKBENCH [OPS] [READ_OPS]
#
# ZKBENCH is the zkbench load generator (built over the Apache ZooKeeper C client, libzookeeper-mt);
# its arguments are HOSTS OP OPS WINDOW VALUE_BYTES CONNECTIONS and it prints one line per run.
set -euo pipefail
cd "$(dirname "$0")/../.."

zkbench=${1:?usage: $0 ZKBENCH [OPS] [READ_OPS]}
ops=${2:-20000}
reads=${3:-50000}
work=$(mktemp -d /tmp/colony-zk-compare-XXXX)
trap 'tests/compat/reference-ensemble.sh stop "$work/reference" >/dev/null 2>&1 || true; ./colony down --data "$work/colony" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

# CPU time (in clock ticks) used so far by the given processes, children's threads included.
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }

# Each line also gives the servers' CPU per operation (all three servers together) and the load
# generator's, in microseconds: on a machine this small the load generator's share bounds throughput.
run() {
  local name=$1 hosts=$2; shift 2
  local pids=("$@") hz out t0 t1 c0 c1
  hz=$(getconf CLK_TCK)
  "$zkbench" "$hosts" create "$ops" 200 100 3 >/dev/null   # warm-up, discarded
  "$zkbench" "$hosts" delete "$ops" 200 100 3 >/dev/null
  for args in "create $ops 200 100 3" "set $ops 200 100 3" "get $reads 200 100 3" \
              "set $((ops / 10)) 1 100 1" "get $((reads / 10)) 1 100 1" "delete $ops 200 100 3"; do
    t0=$(cpu_ticks "${pids[@]}")
    c0=$(awk '{print $14 + $15 + $16 + $17}' /proc/self/stat)
    out=$(/usr/bin/time -f 'client_cpu_s=%U+%S' "$zkbench" "$hosts" $args 2>&1 | tr '\n' ' ')
    t1=$(cpu_ticks "${pids[@]}")
    n=$(sed -n 's/.* ops=\([0-9]*\) .*/\1/p' <<<"$out")
    client=$(sed -n 's/.*client_cpu_s=\([0-9.]*\)+\([0-9.]*\).*/\1 \2/p' <<<"$out" | awk -v n="$n" '{printf "%.0f", ($1 + $2) * 1e6 / n}')
    server=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$n" 'BEGIN {printf "%.0f", d / hz * 1e6 / n}')
    echo "$name load=$(cut -d' ' -f1 /proc/loadavg) ${out%% client_cpu_s=*} server_cpu_us_per_op=$server client_cpu_us_per_op=$client"
  done
}

hosts=$(tests/compat/reference-ensemble.sh start "$work/reference" 23181)
run zookeeper "$hosts" $(cat "$work"/reference/server*/pid)
tests/compat/reference-ensemble.sh stop "$work/reference" >/dev/null

./colony up --data "$work/colony" --base-port 27000 >/dev/null
run colony "127.0.0.1:27000,127.0.0.1:27010,127.0.0.1:27020" $(jq -r '.nodes[].pid' "$work/colony/cluster.json")
./colony down --data "$work/colony" >/dev/null
