#!/usr/bin/env python3
"""What a full bardo looks like at the end of a stress run (stress.sh's
STRESS_AFTER, used by scripts/stress_million.sh): search latency with
everyone inserted, and each store's memory per person.

  stress_at_end.py [N]   N searches (default 2000) of the terms file's
                         terms, in order, one keep-alive connection
                         through nginx; then INFO bardo of every store.
Environment: BARDO_PORT, BARDO_RUN, DATA_DIR (stress.sh exports them).
Prints lines `search: ...` and `store <name>: ...`; asserts nothing."""
import http.client
import os
import statistics
import subprocess
import sys
import time
import urllib.parse


def terms(path, n):
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n") for line in f][1:]
    rows = [t for t in rows if t]
    return [rows[i % len(rows)] for i in range(n)]


def search_latency(port, words):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    ms, hits = [], 0
    for w in words:
        t = time.perf_counter()
        c.request("GET", "/pessoas?t=" + urllib.parse.quote(w))
        r = c.getresponse()
        body = r.read()
        ms.append((time.perf_counter() - t) * 1000)
        hits += r.status == 200 and body != b"[]"
    c.close()
    ms.sort()
    print("search: %d terms after the run: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d with results)"
          " - one connection through nginx, sequential" % (
              len(ms), statistics.median(ms), ms[int(len(ms) * 0.99) - 1], ms[-1], hits))


def info(addr, run):
    pw = [l.split()[1] for l in open(os.path.join(run, "credentials")) if l.startswith("admin ")][0]
    args = ["redis-cli", "--no-auth-warning", "--user", "admin"]
    if addr.startswith("unix:"):
        args += ["-s", addr[5:]]
    else:
        host, port = addr.rsplit(":", 1)
        args += ["-h", host, "-p", port]
        tls = os.path.join(run, "tls")
        if os.path.exists(os.path.join(tls, "ca.crt")):
            args += ["--tls", "--cacert", tls + "/ca.crt", "--cert", tls + "/admin.crt",
                     "--key", tls + "/admin.key"]
    out = subprocess.run(args + ["INFO", "bardo"], env=dict(os.environ, REDISCLI_AUTH=pw),
                         capture_output=True, text=True, timeout=10).stdout
    return dict(l.split(":", 1) for l in out.splitlines() if ":" in l)


def memory(run):
    with open(os.path.join(run, "stores")) as f:
        addrs = f.read().strip().split(",")
    for i, addr in enumerate(addrs):
        d = info(addr, run)
        people, rss = int(d.get("people", 0)), int(d.get("memory_rss", 0))
        print("store %s: %s, %d people, RSS %.1f MB = %.0f B/person, db %.0f B/person" % (
            "abcdefghi"[i], d.get("role", "?"), people, rss / 2**20, rss / max(people, 1),
            int(d.get("memory_bytes", 0)) / max(people, 1)))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    search_latency(int(os.environ["BARDO_PORT"]),
                   terms(os.path.join(os.environ["DATA_DIR"], "termos-busca.tsv"), n))
    memory(os.environ["BARDO_RUN"])


if __name__ == "__main__":
    main()
