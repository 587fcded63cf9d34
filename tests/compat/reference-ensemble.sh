#!/usr/bin/env bash
# Starts or stops a 3-server Apache ZooKeeper 3.8 ensemble on loopback from Debian's `zookeeper`
# package, configured as the tests' ReferenceZooKeeper configures it (tickTime 500 ms, fsync on,
# -Xmx512m), for running scenarios or load generators against the reference by hand.
#
#   tests/compat/reference-ensemble.sh start DIR [BASE_PORT]   # prints the connect string
#   tests/compat/reference-ensemble.sh stop DIR                # kills its servers, deletes DIR
#
# Server i listens for clients on BASE_PORT+i-1 (default 23181), and for its peers on
# BASE_PORT+10+i and BASE_PORT+20+i. DIR holds each server's zoo.cfg, data, log and pid file.
set -euo pipefail

usage() { echo "usage: $0 start DIR [BASE_PORT] | stop DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
command=$1 dir=$(realpath -m "$2") base=${3:-23181}
java=/usr/bin/java
classpath=/usr/share/java/zookeeper.jar
[ -f /usr/share/java/slf4j-simple.jar ] && classpath=$classpath:/usr/share/java/slf4j-simple.jar

# The first line of `srvr` naming the mode, or nothing while the server does not serve.
mode() {
  local reply
  reply=$( (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf srvr >&3 && cat <&3) 2>/dev/null || true)
  sed -n 's/^Mode: //p' <<<"$reply"
}

case $command in
start)
  [ ! -e "$dir" ] || { echo "$dir exists; stop it first or pick another" >&2; exit 1; }
  mkdir -p "$dir"
  hosts=()
  for i in 1 2 3; do
    mkdir -p "$dir/server$i/data"
    echo "$i" >"$dir/server$i/data/myid"
    {
      echo "tickTime=500"
      echo "initLimit=20"
      echo "syncLimit=10"
      echo "dataDir=$dir/server$i/data"
      echo "clientPort=$((base + i - 1))"
      echo "clientPortAddress=127.0.0.1"
      echo "4lw.commands.whitelist=*"
      echo "admin.enableServer=false"
      for j in 1 2 3; do echo "server.$j=127.0.0.1:$((base + 10 + j)):$((base + 20 + j))"; done
    } >"$dir/server$i/zoo.cfg"
    hosts+=("127.0.0.1:$((base + i - 1))")
  done
  for i in 1 2 3; do
    (cd "$dir/server$i" && exec "$java" -Xmx512m -XX:+ExitOnOutOfMemoryError -Djava.net.preferIPv4Stack=true \
      "-Dzookeeper.log.dir=$dir/server$i" -cp "$classpath" \
      org.apache.zookeeper.server.quorum.QuorumPeerMain zoo.cfg </dev/null >server.log 2>&1) &
    echo $! >"$dir/server$i/pid"
  done
  # Poll until one server leads and two follow, for at most 60 s.
  for _ in $(seq 1 600); do
    modes=$(for i in 1 2 3; do mode $((base + i - 1)); done | sort | tr '\n' ' ')
    if [ "$modes" = "follower follower leader " ]; then
      (IFS=,; echo "${hosts[*]}")
      exit 0
    fi
    sleep 0.1
  done
  echo "the ensemble did not form within 60 s (modes: $modes); logs in $dir/server*/server.log" >&2
  exit 1
  ;;
stop)
  for pidfile in "$dir"/server*/pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
  ;;
*) usage ;;
esac
