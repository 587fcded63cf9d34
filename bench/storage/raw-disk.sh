#!/bin/bash
# The disk under the storage benchmarks, without any file system software on top: a sequential write and read
# of SIZE_MIB in 1 MiB requests with O_DIRECT (past the page cache), on the file system the put-get scripts keep
# their data on (DIR, the same default). First with dd, then with fio (installed from Debian's packages if
# missing), which also reports the read and write bandwidth with direct I/O at queue depth 1.
# usage: bench/storage/raw-disk.sh [SIZE_MIB] [DIR]
set -euo pipefail
SIZE=${1:-1024}
DIR=${2:-/tmp/colony-putget}
mkdir -p "$DIR"
FILE=$(mktemp "$DIR/raw-disk.XXXXXX")
trap 'rm -f "$FILE"' EXIT

echo "raw disk under $DIR ($(df --output=fstype "$DIR" | tail -1 | tr -d ' ')), $SIZE MiB in 1 MiB requests, O_DIRECT"
now() { date +%s.%N; }
rate() { awk -v l="$1" -v s="$SIZE" -v a="$2" -v b="$3" 'BEGIN { printf "%s: %.1f MiB/s, %.2f s\n", l, s / (b - a), b - a }'; }

t0=$(now)
dd if=/dev/zero of="$FILE" bs=1M count="$SIZE" oflag=direct conv=fsync status=none
t1=$(now)
rate "dd write (oflag=direct conv=fsync)" "$t0" "$t1"
t0=$(now)
dd if="$FILE" of=/dev/null bs=1M iflag=direct status=none
t1=$(now)
rate "dd read (iflag=direct)" "$t0" "$t1"

if ! command -v fio >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q fio >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q fio >/dev/null; } \
    || echo "(fio not installed)"
fi
if command -v fio >/dev/null 2>&1; then
  for rw in write read; do
    # One job, 1 MiB blocks, direct I/O, fsync at the end of the write: bandwidth in KiB/s from the terse output.
    fio --name=raw-disk --filename="$FILE" --rw="$rw" --bs=1M --size="${SIZE}M" --direct=1 --ioengine=psync \
      --end_fsync=1 --output-format=terse --terse-version=3 |
      awk -F';' -v rw="$rw" '{ bw = (rw == "read") ? $7 : $48; printf "fio %s (direct=1, bs=1M): %.1f MiB/s\n", rw, bw / 1024 }'
  done
fi
