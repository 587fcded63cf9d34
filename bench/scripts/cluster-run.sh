#!/usr/bin/env bash
# One measured run against a fresh 3-node cluster: dd fsync reference before and after, the load
# driver, and (over 10 s inside the measured window) per-process CPU, machine busy time and context
# switches, per-thread voluntary context switches of each node, and the load of the rest of the machine.
# Usage: bench/scripts/cluster-run.sh PROTOCOL PROPOSERS [BASE_PORT] [SECONDS]
set -euo pipefail
protocol=$1 proposers=$2 port=${3:-26400} seconds=${4:-20} warmup=5
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d /tmp/colony-bench.XXXXXX)
trap './colony down --data "$dir/cluster" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
cd "$root"

ddrate() { /usr/bin/time -o "$dir/dd.time" -f %e dd if=/dev/zero of="$dir/dd.tmp" bs=4k count=1000 oflag=dsync 2>/dev/null; awk '{printf "%d", 1000 / ($1 > 0 ? $1 : 0.001)}' "$dir/dd.time"; }
dd_before="$(ddrate) $(ddrate) $(ddrate)"

./colony up --data "$dir/cluster" --base-port "$port" >/dev/null
pids=$(pgrep -f "colony node --config $dir/cluster/" | tr '\n' ' ')
cluster="http://127.0.0.1:$((port + 2)),http://127.0.0.1:$((port + 12)),http://127.0.0.1:$((port + 22))"
driver="$root/bench/Colony.LoadDriver/bin/Release/net10.0/colony-load"
"$driver" --cluster "$cluster" --token "$(cat "$dir/cluster/secret")" --proposers "$proposers" --seconds "$seconds" --warmup "$warmup" \
  --value-bytes 100 --protocol "$protocol" >"$dir/driver.out" 2>&1 &
driver_pid=$!
sleep $((warmup + 3))

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
machine() { awk '/^cpu / {print $2+$3+$4+$6+$7+$8, $2+$3+$4+$5+$6+$7+$8} /^ctxt/ {print $2}' /proc/stat | tr '\n' ' '; }
threads() { for t in /proc/$1/task/*; do printf '%s %s\n' "$(tr ' ' _ <"$t/comm")" "$(awk '/^voluntary/ {print $2}' "$t/status")"; done | awk '{n[$1]+=$2} END {for (k in n) print k, n[k]}' | sort; }
declare -A before
for p in $pids $driver_pid; do before[$p]=$(ticks "$p"); done
for p in $pids; do threads "$p" >"$dir/threads.$p.0"; done
m0=$(machine); l0=$(cat /proc/loadavg)
sleep 10
m1=$(machine); l1=$(cat /proc/loadavg)
ours=0
for p in $pids $driver_pid; do
  d=$(( $(ticks "$p") - before[$p] )); ours=$((ours + d))
  printf 'cpu %s %s cores\n' "$( [ "$p" = "$driver_pid" ] && echo driver || echo "node:$p")" "$(awk -v d=$d 'BEGIN {printf "%.2f", d / 1000}')"
done
for p in $pids; do
  threads "$p" >"$dir/threads.$p.1"
  echo "wakeups/s node:$p $(join "$dir/threads.$p.0" "$dir/threads.$p.1" 2>/dev/null | awk '{printf "%s=%d ", $1, ($3-$2)/10}')"
done
wait "$driver_pid" || true
cat "$dir/driver.out"
read -r busy0 total0 ctxt0 <<<"$m0"; read -r busy1 total1 ctxt1 <<<"$m1"
awk -v b=$((busy1 - busy0)) -v t=$((total1 - total0)) -v c=$((ctxt1 - ctxt0)) -v o=$ours 'BEGIN {
  printf "machine busy %.2f cores, ours %.2f cores, other %.2f cores, ctxt/s %d\n", 2 * b / t, o / 1000, 2 * b / t - o / 1000, c / 10 }'
echo "loadavg before: $l0 / after: $l1"
echo "dd before: $dd_before  after: $(ddrate) $(ddrate) $(ddrate)"
