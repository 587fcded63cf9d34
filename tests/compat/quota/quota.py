#!/usr/bin/python3
"""A hard quota through kazoo, set as zkCli's setquota sets one (the quota nodes under /zookeeper/quota).

  quota.py --hosts HOSTS --path PATH --count N

Prints one line per fact, then exits 0 (any surprise prints FAIL and exits 1):
  CREATED <n>           the children that fit under the hard count limit
  REFUSED               the next create was refused and left no node. kazoo 2.8 knows no
                        QuotaExceeded (-125): its connection loop dies on the unknown code (as it
                        would against ZooKeeper), so a fresh client checks the outcome
  USAGE <stats>         the usage the server keeps in zookeeper_stats
"""

import argparse
import sys

from kazoo.client import KazooClient

parser = argparse.ArgumentParser()
parser.add_argument("--hosts", required=True)
parser.add_argument("--path", required=True)
parser.add_argument("--count", type=int, required=True)
args = parser.parse_args()


def say(*words):
    print(*words, flush=True)


client = KazooClient(hosts=args.hosts, timeout=10.0)
client.start(timeout=30)
client.create(args.path)
quota = "/zookeeper/quota" + args.path
client.ensure_path(quota)
client.create(quota + "/zookeeper_stats", b"count=0,bytes=0")
client.create(quota + "/zookeeper_limits", ("count=-1,bytes=-1,countHardLimit=%d,byteHardLimit=-1" % args.count).encode())

created = 0
for i in range(args.count - 1):  # the quota'd node itself counts as one
    client.create("%s/child-%d" % (args.path, i))
    created += 1
say("CREATED", created)
try:
    client.create_async(args.path + "/one-too-many").get(timeout=10)
    say("FAIL", "the create over the hard limit succeeded")
    sys.exit(1)
except Exception:
    pass
client.stop()
client.close()

checker = KazooClient(hosts=args.hosts, timeout=10.0)
checker.start(timeout=30)
if checker.exists(args.path + "/one-too-many"):
    say("FAIL", "the refused create left its node")
    sys.exit(1)
say("REFUSED")
data, _ = checker.get(quota + "/zookeeper_stats")
say("USAGE", data.decode())
checker.stop()
checker.close()
