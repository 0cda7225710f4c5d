#!/usr/bin/env python3
"""What each component used during a stress run, from its cgroup counters.

Usage: stress_cgroups.py OUT_DIR
Reads OUT_DIR/cgroups.before and cgroups.after (lines written by
scripts/cgroup.sh's cg_snapshot: service cpu_ns throttled_ns nr_throttled
mem_max_bytes rss_bytes), OUT_DIR/summary.json (the run's duration and the
load tool's own CPU) and conf/limits.env; prints a table and writes
OUT_DIR/cgroups.json. CPU is the difference over the load run; memory is
the peak since the process started (memory.max_usage_in_bytes, page cache
included) and the resident set at the end."""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def snapshot(path):
    out = {}
    for line in open(path):
        f = line.split()
        if len(f) >= 6:
            out[f[0]] = [int(x or 0) for x in (f[1:8] + ["0", "0"])[:7]]
    return out


def limits():
    env = {}
    for line in open(os.path.join(ROOT, "conf", "limits.env")):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            env[k] = float(v)
    prefix = {"nginx": "NGINX", "api-1": "API", "api-2": "API", "store": "STORE",
              "store-a": "STORE", "store-b": "REPLICA", "store-c": "REPLICA"}
    out = {s: (env.get(p + "_CPUS", 0), env.get(p + "_MEM_MB", 0)) for s, p in prefix.items()}
    out["ceiling"] = (env["TOTAL_CPUS"], env["TOTAL_MEM_MB"])
    return out


def per_request(rows, requests):
    """Where a request's CPU goes: microseconds per request per component,
    user and kernel (cpuacct.usage_user/usage_sys; their sum is close to,
    not exactly, cpuacct.usage)."""
    print("---- CPU per request (µs; user + kernel = cpuacct's split) " + "-" * 19)
    print("%-8s %8s %8s %8s" % ("", "user", "kernel", "total"))
    tu = tk = 0.0
    for r in rows:
        u, k = r["user_s"] * 1e6 / requests, r["sys_s"] * 1e6 / requests
        r["user_us_per_request"], r["kernel_us_per_request"] = round(u, 2), round(k, 2)
        tu, tk = tu + u, tk + k
        print("%-8s %8.1f %8.1f %8.1f" % (r["component"], u, k, u + k))
    print("%-8s %8.1f %8.1f %8.1f" % ("total", tu, tk, tu + tk))


def main(out):
    before, after = snapshot(out + "/cgroups.before"), snapshot(out + "/cgroups.after")
    summary = json.load(open(out + "/summary.json"))
    secs = summary["duration_s"] or 1
    lim = limits()
    rows = []
    for s, a in after.items():
        b = before.get(s, [0] * 7)
        lim.setdefault(s, (0, 0))
        cpu = (a[0] - b[0]) / 1e9
        rows.append({"component": s, "cpu_limit": lim[s][0], "cpu_s": round(cpu, 3),
                     "cpu_avg": round(cpu / secs, 3), "throttled_s": round((a[1] - b[1]) / 1e9, 3),
                     "throttled_periods": a[2] - b[2], "mem_limit_mb": lim[s][1],
                     "mem_max_mb": round(a[3] / 2**20, 1), "rss_end_mb": round(a[4] / 2**20, 1),
                     "user_s": round((a[5] - b[5]) / 1e9, 3), "sys_s": round((a[6] - b[6]) / 1e9, 3)})
    tot = sum(r["cpu_s"] for r in rows)
    load = summary["load"]["cpu_s"]
    print("---- Components (cgroup counters over the %.1f s run) " % secs + "-" * 21)
    print("%-8s %6s %9s %8s %10s %9s %8s %8s %8s" % ("", "limit", "CPU s", "avg CPU", "throttled",
          "periods", "mem max", "rss end", "mem lim"))
    for r in rows:
        print("%-8s %6g %9.2f %8.3f %9.2fs %9d %7.1fM %7.1fM %7.0fM" % (
            r["component"], r["cpu_limit"], r["cpu_s"], r["cpu_avg"], r["throttled_s"],
            r["throttled_periods"], r["mem_max_mb"], r["rss_end_mb"], r["mem_limit_mb"]))
    req = summary["requests"] or 1
    print("bardo total %.2f CPU s = %.1f ms per 1,000 requests; bardo-load %.2f CPU s = %.1f ms"
          " per 1,000 (%.0f%% of bardo's)" % (tot, tot * 1e6 / req, load, load * 1e6 / req,
                                              100 * load / tot if tot else 0))
    per_request(rows, req)
    json.dump({"duration_s": secs, "components": rows, "bardo_cpu_s": round(tot, 3),
               "bardo_cpu_ms_per_1000_requests": round(tot * 1e6 / req, 2),
               "load_cpu_s": load}, open(out + "/cgroups.json", "w"), indent=2)


if __name__ == "__main__":
    main(sys.argv[1])
