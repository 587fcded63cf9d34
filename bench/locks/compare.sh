#!/usr/bin/env bash
# Lock acquire+release cycles per second, uncontended (1 client) and contended (16 clients on one
# lock), with the acquire latency's p50 and p99, in one sitting:
#   (a) the .NET client's DistributedLock on a 3-node Colony cluster,
#   (b) kazoo's Lock on a 3-server Apache ZooKeeper 3.8 ensemble (tests/compat/reference-ensemble.sh),
#   (c) kazoo's Lock on the same Colony cluster.
# All on loopback, fsync on. Both systems are up for the whole sitting, and (a) and (b) alternate,
# ROUNDS times, so that the machine's drift from one minute to the next falls on both alike; the
# last lines give each series' median and the ratio of the medians. (c) runs once, at the end.
# Each fresh server first takes WARMUP seconds of the same load, not counted (16 .NET clients on one
# lock, against either system), so that both are measured in their steady state, after their
# runtimes (.NET's tiered compiler, the JVM's JIT) have compiled the hot paths.
#
#   bench/locks/compare.sh [SECONDS] [BASE_PORT] [WARMUP] [ROUNDS]
#   # defaults: 10 s a run, Colony on ports 34100… and ZooKeeper on 34500…, 15 s, 3 rounds
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-10}
base=${2:-34100}
warmup=${3:-15}
rounds=${4:-3}
work=$(mktemp -d /tmp/colony-lock-bench-XXXX)
trap 'tests/compat/reference-ensemble.sh stop "$work/reference" >/dev/null 2>&1 || true; ./colony down --data "$work/colony" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

dotnet build bench/locks/LockBench -c Release -v quiet -nologo >/dev/null
lockbench=$(ls bench/locks/LockBench/bin/Release/*/LockBench.dll | head -n 1)

# One run; its line is printed and kept in $work/runs for the summary.
run() {
  local name=$1 clients=$2; shift 2
  local line
  line="$name load=$(cut -d' ' -f1 /proc/loadavg) $("$@" "$clients" "$seconds")"
  echo "$line" | tee -a "$work/runs"
}

dotnet_on_colony() { dotnet "$lockbench" "$colony" "$@"; }
kazoo_on_zookeeper() { /usr/bin/python3 bench/locks/kazoo_locks.py "$zookeeper" "$@"; }
kazoo_on_colony() { /usr/bin/python3 bench/locks/kazoo_locks.py "$colony" "$@"; }

./colony up --data "$work/colony" --base-port "$base" >/dev/null
colony="127.0.0.1:$base,127.0.0.1:$((base + 10)),127.0.0.1:$((base + 20))"
zookeeper=$(tests/compat/reference-ensemble.sh start "$work/reference" $((base + 400)))

echo "warm-up colony load=$(cut -d' ' -f1 /proc/loadavg) $(dotnet "$lockbench" "$colony" 16 "$warmup")"
echo "warm-up zookeeper load=$(cut -d' ' -f1 /proc/loadavg) $(dotnet "$lockbench" "$zookeeper" 16 "$warmup")"

for round in $(seq 1 "$rounds"); do
  for clients in 1 16; do
    # Alternate which system goes first, so that neither always runs right after the other.
    if [ $((round % 2)) -eq 1 ]; then
      run dotnet-on-colony "$clients" dotnet_on_colony
      run kazoo-on-zookeeper "$clients" kazoo_on_zookeeper
    else
      run kazoo-on-zookeeper "$clients" kazoo_on_zookeeper
      run dotnet-on-colony "$clients" dotnet_on_colony
    fi
  done
done
for clients in 1 16; do
  run kazoo-on-colony "$clients" kazoo_on_colony
done

# The median of each series, and (a) ÷ (b) on the medians.
awk -v rounds="$rounds" '
  function median(name, clients,    n, i, j, t, v) {
    n = count[name, clients]
    for (i = 1; i <= n; i++) v[i] = rate[name, clients, i] + 0
    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  {
    clients = ""; r = ""
    for (f = 1; f <= NF; f++) {
      if ($f ~ /^clients=/) clients = substr($f, 9)
      if ($f ~ /^cycles_per_s=/) r = substr($f, 14)
    }
    rate[$1, clients, ++count[$1, clients]] = r
  }
  END {
    for (c = 1; c <= 16; c += 15) {
      a = median("dotnet-on-colony", c); b = median("kazoo-on-zookeeper", c)
      ratio = b > 0 ? a / b : 0
      printf "median clients=%d rounds=%d dotnet-on-colony=%.0f kazoo-on-zookeeper=%.0f ratio=%.2f\n", c, rounds, a, b, ratio
    }
  }' "$work/runs"
