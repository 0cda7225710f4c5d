"""Issue 12, "Bad input and limits": a store that reaches its memory
ceiling (--max-memory-mb; by default 90% of its cgroup's limit,
src/store/memlimit.h) refuses new people with a clear error, `-NOMEM`,
which the API turns into a 503 with a JSON error; nothing is half-written,
no journal entry is left for the replicas, and reads go on.

The stores here get a small ceiling (BARDO_STORE_ARGS) and are filled by
PADDs straight to the primary until it refuses.

Run: BARDO_BIN=$PWD/build/release/bin /usr/bin/python3 -m pytest -q tests/blackbox/test_store_full.py
"""
import re
import time
import uuid

import pytest

import conftest as bb

CEILING_MB = 48
BATCH = 500
NOME = "N" * 100


@pytest.fixture
def small():
    s = bb.System()
    s.env["BARDO_STORE_ARGS"] = "--expected 1000 --backlog-mb 1 --max-memory-mb %d" % CEILING_MB
    s.start()
    try:
        yield s
    finally:
        problems = s.stop()
        assert not problems, "\n".join(problems)


def padd(pid, apelido):
    return bb.resp_encode("PADD", pid, *bb.store_person(pid, apelido, NOME))


def read_lines(sock, n, pending=b""):
    data = pending
    while data.count(b"\r\n") < n:
        chunk = sock.recv(1 << 20)
        assert chunk, "store closed the connection"
        data += chunk
    lines = data.split(b"\r\n")
    return lines[:n], b"\r\n".join(lines[n:])


def fill_until_full(system, most=400000):
    """PADDs BATCH at a time until one is refused; returns the ids that
    got +OK and the first refusal."""
    s = bb.connect(system.store, timeout=30)
    try:
        s.sendall(bb.resp_encode("AUTH", *system.user("api")))
        rest = read_lines(s, 1)[1]
        ok, tag = [], uuid.uuid4().hex[:6]
        while len(ok) < most:
            ids = [str(uuid.uuid4()) for _ in range(BATCH)]
            s.sendall(b"".join(padd(pid, "f%s%07d" % (tag, len(ok) + i)) for i, pid in enumerate(ids)))
            replies, rest = read_lines(s, BATCH, rest)
            for pid, r in zip(ids, replies):
                if r == b"+OK":
                    ok.append(pid)
                else:
                    return ok, r
        raise AssertionError("%d people and no refusal under a %d MB ceiling" % (len(ok), CEILING_MB))
    finally:
        s.close()


def info(system, addr):
    r = bb.resp_command(addr, "INFO", "bardo", auth=system.user("admin"))
    deadline = time.monotonic() + 5
    while b"refused_nomem:" not in r and time.monotonic() < deadline:  # a bulk read short
        r = bb.resp_command(addr, "INFO", "bardo", auth=system.user("admin"))
    return dict(line.split(":", 1) for line in r.decode().split("\r\n") if ":" in line)


def pcount(system, addr):
    r = bb.resp_command(addr, "PCOUNT", auth=system.user("admin"))
    return int(r[1:].strip())


def test_a_full_store_refuses_new_people_and_keeps_serving(small):
    system = small
    ok, refusal = fill_until_full(system)
    assert refusal.startswith(b"-NOMEM store memory limit reached"), refusal
    before = info(system, system.store)
    assert int(before["memory_rss"]) >= CEILING_MB << 20, before
    assert int(before["memory_limit"]) == CEILING_MB << 20, before
    # the API: a 503 with a JSON error that says why
    r = bb.post(system.port, "/pessoas", bb.person())
    assert r.status == 503, r
    assert "full" in r.json()["errors"][0]["message"], r.body
    # nothing was written: no person, no journal entry
    after = info(system, system.store)
    assert after["journal_offset"] == before["journal_offset"], (before, after)
    assert int(after["people"]) == len(ok)
    assert int(after["refused_nomem"]) > int(before["refused_nomem"])
    # reads go on
    assert bb.get(system.port, "/pessoas/" + ok[0]).status == 200
    assert bb.get(system.port, "/pessoas/" + ok[-1]).status == 200
    r = bb.get(system.port, "/pessoas?t=nnnn")
    assert r.status == 200 and len(r.json()) == 50, r
    assert bb.count(system.port) == len(ok)
    # the replicas hold exactly what the primary holds
    for addr in system.stores[1:]:
        deadline = time.monotonic() + 10
        while pcount(system, addr) != len(ok) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pcount(system, addr) == len(ok), addr
        assert re.search(rb"journal_offset:%s\r\n" % before["journal_offset"].encode(),
                         bb.resp_command(addr, "INFO", "bardo", auth=system.user("admin")))
