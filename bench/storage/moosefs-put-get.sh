#!/bin/bash
# The MooseFS side of put-get.sh: the same file (the same random bytes for the same size), written and read
# the same way, on a local MooseFS 3.0 from Debian's packages: one master and 3 chunkservers, goal 3, each
# chunkserver on its own data directory with HDD_FSYNC_BEFORE_CLOSE = 1 (its durable setting), mounted with
# mfsmount (FUSE). Per run: `dd bs=1M conv=fsync` of the file onto the mount, page cache dropped, `dd` back to
# /dev/null, then a verified read (cmp). It prints put-get.sh's lines: MiB/s, the whole machine's CPU-s/GiB, and
# "own": the MooseFS daemons' ("nodes") and mfsmount's plus dd's ("client") user + system CPU per GiB moved.
#
# MooseFS refuses chunkservers that reach the master over 127.0.0.0/8, so everything runs inside a network
# namespace of its own, on a private address put on that namespace's own loopback device: no traffic leaves it.
# The daemons and mfsmount run at nice 0, the priority Colony's nodes get, rather than MooseFS's default of -19.
# Run as root (apt-get, namespaces, FUSE, dropping caches). BASE_PORT moves the ports (default 9419).
# usage: bench/storage/moosefs-put-get.sh [SIZE_MIB] [RUNS] [DIR]
set -euo pipefail
SIZE=${1:-1024}
RUNS=${2:-3}
DIR=${3:-/tmp/colony-putget}
PACKAGES="moosefs-master moosefs-chunkserver moosefs-client moosefs-cli"

if [ -z "${MOOSEFS_BENCH_INSIDE:-}" ]; then
  missing=
  for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null; }
  fi
  # A new network namespace (only its own loopback) and mount namespace (the FUSE mount is seen only inside).
  MOOSEFS_BENCH_INSIDE=1 exec unshare --net --mount --propagation private bash "$0" "$SIZE" "$RUNS" "$DIR"
fi

# --- inside the namespaces from here on ---
ADDR=10.213.0.1 # on this namespace's loopback only
PORT=${BASE_PORT:-9419}
ML_PORT=$PORT CS_PORT=$((PORT + 1)) CL_PORT=$((PORT + 2))
ip link set lo up
ip addr add "$ADDR/32" dev lo

mkdir -p "$DIR"
WORK=$(mktemp -d "$DIR/moosefs.XXXXXX")
SRC=$(mktemp /dev/shm/moosefs-src.XXXXXX)
MNT="$WORK/mnt"
STARTED=() # every daemon this script started, by PID
MOUNTED=0

cleanup() {
  if [ "$MOUNTED" = 1 ]; then umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true; fi
  # Last started first: mfsmount, then the chunkservers, then the master.
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
    pid=${STARTED[i]}
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK" "$SRC"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The master: its metadata starts from the package's empty file; every client may mount / read-write as root.
mkdir -p "$WORK/master" "$MNT"
cp /var/lib/mfs/metadata.mfs.empty "$WORK/master/metadata.mfs"
echo "* / rw,alldirs,maproot=0" >"$WORK/mfsexports.cfg"
cat >"$WORK/mfsmaster.cfg" <<EOF
WORKING_USER = root
WORKING_GROUP = root
NICE_LEVEL = 0
DATA_PATH = $WORK/master
EXPORTS_FILENAME = $WORK/mfsexports.cfg
MATOML_LISTEN_HOST = $ADDR
MATOML_LISTEN_PORT = $ML_PORT
MATOCS_LISTEN_HOST = $ADDR
MATOCS_LISTEN_PORT = $CS_PORT
MATOCL_LISTEN_HOST = $ADDR
MATOCL_LISTEN_PORT = $CL_PORT
EOF
mfsmaster -f -c "$WORK/mfsmaster.cfg" start >"$WORK/master.log" 2>&1 &
STARTED+=($!)

for n in 1 2 3; do
  mkdir -p "$WORK/cs$n/state" "$WORK/cs$n/chunks"
  echo "$WORK/cs$n/chunks" >"$WORK/cs$n/mfshdd.cfg"
  cat >"$WORK/cs$n/mfschunkserver.cfg" <<EOF
WORKING_USER = root
WORKING_GROUP = root
NICE_LEVEL = 0
DATA_PATH = $WORK/cs$n/state
HDD_CONF_FILENAME = $WORK/cs$n/mfshdd.cfg
HDD_FSYNC_BEFORE_CLOSE = 1
HDD_LEAVE_SPACE_DEFAULT = 64MiB
BIND_HOST = $ADDR
MASTER_HOST = $ADDR
MASTER_PORT = $CS_PORT
CSSERV_LISTEN_HOST = $ADDR
CSSERV_LISTEN_PORT = $((CL_PORT + n))
EOF
  mfschunkserver -f -c "$WORK/cs$n/mfschunkserver.cfg" start >"$WORK/cs$n.log" 2>&1 &
  STARTED+=($!)
done

# Goal 3 needs all three chunkservers registered before the first write.
chunkservers() { mfscli -H "$ADDR" -P "$CL_PORT" -SCS -p 2>/dev/null | grep -c "$ADDR" || true; }
for i in $(seq 1 300); do
  [ "$(chunkservers)" -ge 3 ] && break
  [ "$i" = 300 ] && { echo "the 3 chunkservers did not register"; tail -5 "$WORK"/*.log; exit 1; }
  sleep 0.2
done

mfsmount "$MNT" -f -H "$ADDR" -P "$CL_PORT" -o mfsnice=0 >"$WORK/mount.log" 2>&1 &
STARTED+=($!)
MOUNTED=1
for i in $(seq 1 300); do
  mountpoint -q "$MNT" && break
  [ "$i" = 300 ] && { echo "mfsmount did not mount"; cat "$WORK/mount.log"; exit 1; }
  sleep 0.1
done
mfssetgoal -r 3 "$MNT" >/dev/null
mfssettrashtime -r 0 "$MNT" >/dev/null # a removed run's chunks go at once

# The same bytes as put-get.sh writes for this size.
head -c "$((SIZE * 1048576))" /dev/zero | openssl enc -aes-128-ctr -nosalt -pbkdf2 -iter 1 -pass "pass:colony-$SIZE" >"$SRC"

busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
own() { t=0; for p in "${STARTED[@]}"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo "$t"; }
mount_cpu() { awk '{ print $14 + $15 }' "/proc/${STARTED[-1]}/stat"; }
now() { date +%s.%N; }
tick=$(getconf CLK_TCK)
DD_CPU="$WORK/dd.cpu"
timed() { /usr/bin/time -o "$DD_CPU" -f "%U %S" "$@"; }
report() { # label start end machine-cpu0 machine-cpu1 own-cpu0 own-cpu1 mount-cpu0 mount-cpu1 (ticks); dd's seconds in $DD_CPU
  awk -v l="$1" -v s="$SIZE" -v a="$2" -v b="$3" -v c="$(($5 - $4))" -v o="$(($7 - $6))" -v m="$(($9 - $8))" -v t="$tick" -v dd="$(cat "$DD_CPU")" \
    'BEGIN { split(dd, u, " "); client = m / t + u[1] + u[2]; nodes = (o - m) / t; gib = s / 1024
             printf "%s: %.1f MiB/s, %.2f s, %.1f CPU-s/GiB, own %.2f CPU-s/GiB (nodes %.2f, client %.2f)\n", l, s / (b - a), b - a, c / t / gib, (nodes + client) / gib, nodes / gib, client / gib }'
}

echo "MooseFS $(mfsmaster -v 2>&1 | grep -o '[0-9][0-9.]*' | head -1), goal $(mfsgetgoal "$MNT" | awk '{ print $NF }'), 3 chunkservers, HDD_FSYNC_BEFORE_CLOSE = 1, $SIZE MiB"
for run in $(seq 1 "$RUNS"); do
  file="$MNT/put-$run"
  sync
  c0=$(busy); o0=$(own); m0=$(mount_cpu); t0=$(now)
  timed dd if="$SRC" of="$file" bs=1M conv=fsync status=none
  t1=$(now); c1=$(busy); o1=$(own); m1=$(mount_cpu)
  report "run $run put" "$t0" "$t1" "$c0" "$c1" "$o0" "$o1" "$m0" "$m1"
  # Every chunk of the file has its three copies once the put has returned.
  copies=$(mfscheckfile "$file" | awk '/chunks with/ { print $3 }' | sort -u | tr '\n' ' ')
  [ "$copies" = "3 " ] || { echo "run $run: chunks with ${copies}copies, not 3"; mfscheckfile "$file"; exit 1; }
  sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || echo "(page cache not dropped)"
  c0=$(busy); o0=$(own); m0=$(mount_cpu); t0=$(now)
  timed dd if="$file" of=/dev/null bs=1M status=none
  t1=$(now); c1=$(busy); o1=$(own); m1=$(mount_cpu)
  report "run $run get" "$t0" "$t1" "$c0" "$c1" "$o0" "$o1" "$m0" "$m1"
  cmp -s "$SRC" "$file" || { echo "run $run: MISMATCH"; exit 1; }
  rm -f "$file"
done
