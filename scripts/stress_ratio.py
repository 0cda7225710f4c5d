#!/usr/bin/env python3
"""bardo's result against the ceiling's, from two find_scale.txt tables
(scripts/stress_find_scale.sh --both): the ratio of the largest passing
scales, and the ratio of the median peak OK/s of the passing runs at each
one's largest passing scale.
usage: stress_ratio.py BARDO_TABLE CEILING_TABLE"""
import re
import statistics
import sys


def read(path):
    """(largest passing scale, median peak OK/s of its passing runs)."""
    largest, peaks = None, {}
    with open(path) as f:
        for line in f:
            m = re.match(r"largest passing scale: ([0-9.]+)", line)
            if m:
                largest = float(m.group(1))
                continue
            w = line.split()
            if len(w) == 9 and w[1] == "pass":
                peaks.setdefault(float(w[0]), []).append(float(w[8]))
    if largest is None:
        raise SystemExit("%s: no 'largest passing scale' line (did the search end?)" % path)
    peak = statistics.median(peaks[largest]) if peaks.get(largest) else 0.0
    return largest, peak


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    (bs, bp), (cs, cp) = read(sys.argv[1]), read(sys.argv[2])
    print("bardo:   largest passing scale %g, median peak %.0f OK/s" % (bs, bp))
    print("ceiling: largest passing scale %g, median peak %.0f OK/s" % (cs, cp))
    print("ratio to the ceiling: scale %s, peak OK/s %s" % (
        "%.2f" % (bs / cs) if cs else "n/a", "%.2f" % (bp / cp) if cp else "n/a"))


if __name__ == "__main__":
    main()
