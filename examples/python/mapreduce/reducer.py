#!/usr/bin/env python3
"""Hadoop Streaming word count, reduce side: input lines "word<TAB>count" arrive sorted by word."""
import sys

out = sys.stdout.buffer
current, total = None, 0
for line in sys.stdin.buffer:
    word, _, count = line.rstrip(b"\n").partition(b"\t")
    if word != current:
        if current is not None:
            out.write(b"%s\t%d\n" % (current, total))
        current, total = word, 0
    total += int(count)
if current is not None:
    out.write(b"%s\t%d\n" % (current, total))
