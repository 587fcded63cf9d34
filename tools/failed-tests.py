#!/usr/bin/env python3
"""Prints each failed test in the given .trx files with the start of its error message.

The test output of a failed cluster test ends with pages of node logs; this summary, printed just
before the final count, keeps the reason for a failure in view.
"""
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
MAX_LINES = 8


def failures(path):
    root = ET.parse(path).getroot()
    for result in root.iterfind(".//t:Results/t:UnitTestResult", NS):
        if result.get("outcome") not in ("Failed", "Error", "Timeout", "Aborted"):
            continue
        message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=NS).strip()
        stack = result.findtext("t:Output/t:ErrorInfo/t:StackTrace", default="", namespaces=NS).strip()
        yield result.get("testName", "?"), message, stack


def main(paths):
    found = [f for p in paths for f in failures(p)]
    if not found:
        return
    print(f"--- {len(found)} failed test(s) ---")
    for name, message, stack in found:
        print(f"FAILED {name}")
        for line in (message.splitlines()[:MAX_LINES] + stack.splitlines()[:3]):
            print(f"    {line}")


if __name__ == "__main__":
    main(sys.argv[1:])
