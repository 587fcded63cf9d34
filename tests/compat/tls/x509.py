#!/usr/bin/python3
"""TLS and the x509 ACL scheme through kazoo's public API.

  x509.py --tls HOST:PORT --plain HOST:PORT --ca CA --cert CERT --key KEY --subject SUBJECT --path PATH

Prints one line per fact, then exits 0 (any surprise prints FAIL and exits 1):
  CREATED <path>         created over TLS with a client certificate, ACL x509:<subject> only
  READ <data>            read back by the same client
  TLS-NOCERT NoAuth      a TLS client without a certificate may not read it
  PLAIN NoAuth           a plain-port client may not read it
"""

import argparse
import sys

from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError
from kazoo.security import ACL, Id, Permissions

parser = argparse.ArgumentParser()
for name in ("tls", "plain", "ca", "cert", "key", "subject", "path"):
    parser.add_argument("--" + name, required=True)
args = parser.parse_args()


def say(*words):
    print(*words, flush=True)


def fail(reason):
    say("FAIL", reason)
    sys.exit(1)


def expect_no_auth(client, label):
    try:
        client.get(args.path)
        fail(label + " could read a znode its ACL does not grant it")
    except NoAuthError:
        say(label, "NoAuth")


owner = KazooClient(hosts=args.tls, use_ssl=True, verify_certs=True, ca=args.ca, certfile=args.cert, keyfile=args.key, timeout=10.0)
owner.start(timeout=30)
acl = [ACL(Permissions.ALL, Id("x509", args.subject))]
owner.create(args.path, b"for the certificate only", acl=acl)
say("CREATED", args.path)
data, _ = owner.get(args.path)
say("READ", data.decode())

anonymous = KazooClient(hosts=args.tls, use_ssl=True, verify_certs=True, ca=args.ca, timeout=10.0)
anonymous.start(timeout=30)
expect_no_auth(anonymous, "TLS-NOCERT")

plain = KazooClient(hosts=args.plain, timeout=10.0)
plain.start(timeout=30)
expect_no_auth(plain, "PLAIN")

for client in (owner, anonymous, plain):
    client.stop()
    client.close()
