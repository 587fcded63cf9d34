#!/usr/bin/env bash
# What TLS costs the ZooKeeper port, measured with the same zkbench load in one sitting:
#   plain       a 3-node cluster without TLS, on its plain ZooKeeper ports;
#   peer-tls    a `colony up --tls` cluster (mutual TLS between nodes, HTTPS), on its plain ports;
#   client-tls  the same TLS cluster on its secure ports (ZooKeeper's secureClientPort), reached
#               through stunnel, since Debian's C client is built without TLS. stunnel's own CPU
#               is on the same two cores, so this overstates what TLS costs a real client.
# The three alternate for ROUNDS rounds, so that drift in the machine hits each of them alike.
#
#   bench/zk/tls.sh ZKBENCH [OPS] [READ_OPS] [ROUNDS]       # needs stunnel4 (apt-get install stunnel4)
set -euo pipefail
cd "$(dirname "$0")/../.."

zkbench=${1:?usage: $0 ZKBENCH [OPS] [READ_OPS] [ROUNDS]}
ops=${2:-20000}
reads=${3:-50000}
rounds=${4:-2}
command -v stunnel4 >/dev/null || { echo "stunnel4 is missing: apt-get install stunnel4" >&2; exit 2; }
work=$(mktemp -d /tmp/colony-zk-tls-XXXX)
tunnel_pid=
cleanup() {
  [ -n "$tunnel_pid" ] && kill "$tunnel_pid" 2>/dev/null || true
  ./colony down --data "$work/plain" >/dev/null 2>&1 || true
  ./colony down --data "$work/tls" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

run() {
  local name=$1 hosts=$2 args
  "$zkbench" "$hosts" create "$ops" 200 100 3 >/dev/null   # warm-up, discarded
  "$zkbench" "$hosts" delete "$ops" 200 100 3 >/dev/null
  for args in "create $ops 200 100 3" "set $ops 200 100 3" "get $reads 200 100 3" \
              "set $((ops / 10)) 1 100 1" "get $((reads / 10)) 1 100 1" "delete $ops 200 100 3"; do
    # shellcheck disable=SC2086 # args are words
    echo "$name load=$(cut -d' ' -f1 /proc/loadavg) $("$zkbench" "$hosts" $args)"
  done
}

hosts_of() { jq -r '[.nodes[].zk] | join(",")' "$1/cluster.json"; }

for round in $(seq 1 "$rounds"); do
  ./colony up --data "$work/plain" --base-port 27300 >/dev/null
  run plain "$(hosts_of "$work/plain")"
  ./colony down --data "$work/plain" >/dev/null

  ./colony up --data "$work/tls" --base-port 27400 --tls >/dev/null
  run peer-tls "$(hosts_of "$work/tls")"

  # One stunnel client service per node: a plain local port into that node's TLS port, presenting
  # the cluster's client certificate and verifying the node's against the cluster CA.
  conf="$work/stunnel.conf"
  printf 'foreground = yes\npid =\ndebug = 3\n' >"$conf"
  local_hosts=
  port=27500
  for secure in $(jq -r '.nodes[].zkTls' "$work/tls/cluster.json"); do
    printf '[zk%s]\nclient = yes\naccept = 127.0.0.1:%s\nconnect = %s\nCAfile = %s\ncert = %s\nkey = %s\nverifyChain = yes\n' \
      "$port" "$port" "$secure" "$work/tls/tls/ca.pem" "$work/tls/tls/client.pem" "$work/tls/tls/client.key" >>"$conf"
    local_hosts="${local_hosts:+$local_hosts,}127.0.0.1:$port"
    port=$((port + 1))
  done
  stunnel4 "$conf" >"$work/stunnel.log" 2>&1 &
  tunnel_pid=$!
  for p in 27500 27501 27502; do
    until (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do sleep 0.1; done
  done
  run client-tls "$local_hosts"
  kill "$tunnel_pid"; wait "$tunnel_pid" 2>/dev/null || true; tunnel_pid=
  ./colony down --data "$work/tls" >/dev/null
  rm -rf "$work/plain" "$work/tls"
  echo "round $round done"
done
