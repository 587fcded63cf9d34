#!/usr/bin/env python3
"""Hadoop Streaming word count, map side: one "word<TAB>1" line per word.

Words are runs of bytes between ASCII whitespace, so the job reads and writes bytes.
"""
import sys

out = sys.stdout.buffer
for line in sys.stdin.buffer:
    for word in line.split():
        out.write(word + b"\t1\n")
