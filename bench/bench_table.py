"""One table of medians from a folder of stress runs (bench/*_bench.sh).

    python3 bench/bench_table.py ROOT PREFIX=LABEL [PREFIX=LABEL ...]

Every sub-folder of ROOT named <PREFIX>-r<N> with a summary.json and a
cgroups.json (scripts/stress.sh) is one run of variant PREFIX. Prints, per
variant: runs, median requests, KOs summed, creates' p50/p99, all
requests' p99, the stores' CPU per 1,000 creations, and whether every
run's count equalled its 201s."""
import json
import os
import statistics
import sys


def load_run(path):
    s = json.load(open(os.path.join(path, "summary.json")))
    g = json.load(open(os.path.join(path, "cgroups.json")))
    create = next(k for k in s["kinds"] if k["label"] == "POST /pessoas")
    stores = sum(c["cpu_s"] for c in g["components"] if c["component"].startswith("store"))
    s["_create_p50"], s["_create_p99"] = create["p50_ms"], create["p99_ms"]
    s["_store_ms_per_1000"] = 1e6 * stores / max(create["requests"], 1)
    return s


def runs_by_variant(root):
    rows = {}
    for d in sorted(os.listdir(root)):
        p = os.path.join(root, d)
        if os.path.isdir(p) and os.path.exists(os.path.join(p, "summary.json")):
            rows.setdefault(d.rsplit("-r", 1)[0], []).append(load_run(p))
    return rows


def main(root, labels):
    rows = runs_by_variant(root)
    print("\n| variant | runs | requests | KO | create p50 ms | create p99 ms | all p99 ms "
          "| stores' CPU ms per 1,000 creations | count = 201s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for prefix, label in labels:
        runs = rows.get(prefix, [])
        if not runs:
            print("| %s | 0 | - | - | - | - | - | - | - |" % label)
            continue
        med = lambda key: statistics.median(r[key] for r in runs)
        ok = all(r["count_after"] == r["created_201"] for r in runs)
        print("| %s | %d | %d | %d | %.2f | %.2f | %.2f | %.0f | %s |" % (
            label, len(runs), med("requests"), sum(r["ko"] for r in runs), med("_create_p50"),
            med("_create_p99"), med("p99_ms"), med("_store_ms_per_1000"), "yes" if ok else "NO"))


if __name__ == "__main__":
    main(sys.argv[1], [tuple(a.split("=", 1)) for a in sys.argv[2:]])
