#!/usr/bin/env python3
"""Deterministic benchmark rows on stdout, for COPY ... FROM STDIN (text format).

  tools/gen-rows.py FIRST LAST          rows id = FIRST..LAST (inclusive), tab-separated
  tools/gen-rows.py --sum-k FIRST LAST  prints sum(k) over those ids (no rows)

Row shape (the sysbench-like table of issue 3 and of ../shared/bench):
  id INT, k = (id*7919) % 100000 + 1, c = 95 chars, pad = 59 chars of digit groups.
The c/pad strings come from the same seeded pools as ../shared/bench/tools/gen_data.py, so a
row here is byte-identical to the harness's rows_100k.tsv / rows_1m.tsv row with the same id.
Streams in 10,000-row chunks: memory stays flat whatever the row count.
"""
import random
import sys


def k_of(i):
    return (i * 7919) % 100000 + 1


def sum_k(first, last):
    # k cycles with period 100000 over ids (7919 is coprime with 100000, so one period of ids
    # covers every residue once: sum over a full period = sum(1..100000)).
    total = 0
    n = last - first + 1
    periods, rest = divmod(n, 100000)
    total += periods * (100000 * 100001 // 2)
    start = first + periods * 100000
    for i in range(start, start + rest):
        total += k_of(i)
    return total


def main():
    args = sys.argv[1:]
    if args and args[0] == "--sum-k":
        print(sum_k(int(args[1]), int(args[2])))
        return
    if len(args) != 2:
        sys.exit(__doc__)
    first, last = int(args[0]), int(args[1])
    rnd = random.Random(42)

    def grp(n):
        return "-".join("%011d" % rnd.randrange(10**11) for _ in range(n))

    cp = [grp(8) for _ in range(1009)]  # 95 chars
    pp = [grp(5) for _ in range(1013)]  # 59 chars
    out = sys.stdout
    buf = []
    for i in range(first, last + 1):
        buf.append("%d\t%d\t%s\t%s\n" % (i, k_of(i), cp[(i * 31) % 1009], pp[(i * 17) % 1013]))
        if len(buf) == 10000:
            out.write("".join(buf))
            buf = []
    if buf:
        out.write("".join(buf))
    out.flush()


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        sys.exit(1)
