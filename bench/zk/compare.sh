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

run() {
  local name=$1 hosts=$2
  "$zkbench" "$hosts" create "$ops" 200 100 3 >/dev/null   # warm-up, discarded
  "$zkbench" "$hosts" delete "$ops" 200 100 3 >/dev/null
  for args in "create $ops 200 100 3" "set $ops 200 100 3" "get $reads 200 100 3" \
              "set $((ops / 10)) 1 100 1" "get $((reads / 10)) 1 100 1" "delete $ops 200 100 3"; do
    echo "$name load=$(cut -d' ' -f1 /proc/loadavg) $("$zkbench" "$hosts" $args)"
  done
}

hosts=$(tests/compat/reference-ensemble.sh start "$work/reference" 23181)
run zookeeper "$hosts"
tests/compat/reference-ensemble.sh stop "$work/reference" >/dev/null

./colony up --data "$work/colony" --base-port 27000 >/dev/null
run colony "127.0.0.1:27000,127.0.0.1:27010,127.0.0.1:27020"
./colony down --data "$work/colony" >/dev/null
