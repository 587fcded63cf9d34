#!/usr/bin/env python3
"""Word count written in mrjob's style (mapper, combiner and reducer methods that yield pairs),
run as a Colony streaming job without mrjob installed:

    --mapper  "python3 mrjob_wordcount.py --step-num 0 --mapper"
    --combiner "python3 mrjob_wordcount.py --step-num 0 --combiner"
    --reducer "python3 mrjob_wordcount.py --step-num 0 --reducer"

Keys travel as raw bytes and values as JSON, like mrjob's raw-key protocols; words are split on
ASCII whitespace.
"""
import itertools
import json
import sys


class MRJobLike:
    """The small part of mrjob's runner this example needs: one step, streaming line protocol."""

    def steps(self):
        return [dict(mapper=self.mapper, combiner=getattr(self, "combiner", None), reducer=self.reducer)]

    def run(self, argv):
        step = self.steps()[int(argv[argv.index("--step-num") + 1]) if "--step-num" in argv else 0]
        out = sys.stdout.buffer
        lines = (line.rstrip(b"\n").rstrip(b"\r") for line in sys.stdin.buffer)
        if "--mapper" in argv:
            pairs = itertools.chain.from_iterable(step["mapper"](None, line) for line in lines)
        else:
            role = "combiner" if "--combiner" in argv else "reducer"
            split = (line.partition(b"\t") for line in lines)
            grouped = itertools.groupby(split, key=lambda kv: kv[0])
            pairs = itertools.chain.from_iterable(
                step[role](key, (json.loads(v) for _, _, v in group)) for key, group in grouped)
        for key, value in pairs:
            out.write(key + b"\t" + json.dumps(value).encode() + b"\n")


class MRWordCount(MRJobLike):
    def mapper(self, _, line):
        for word in line.split():
            yield word, 1

    def combiner(self, word, counts):
        yield word, sum(counts)

    def reducer(self, word, counts):
        yield word, sum(counts)


if __name__ == "__main__":
    MRWordCount().run(sys.argv[1:])
