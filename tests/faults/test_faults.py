"""Fault tests (issue 4): each runs the stress test's profile, compressed,
against a fresh bardo (store-a primary in site a, replicas in sites b and
c, K=1), breaks something on purpose in the middle, and then checks what
the issue promises: every id that ever got a 201 is readable, and the
count equals the number of 201s. KOs (503s) during the fault are allowed:
that is the system refusing what it could not keep.

Run: /usr/bin/python3 -m pytest -q tests/faults   (bounded: ~20 s a test)
"""
import os
import subprocess
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import nemesis as nm  # noqa: E402 (the nemesis's library: its load and black-box helpers)

bb = nm.bb

LOAD_TIME_SCALE = float(os.environ.get("FAULT_TIME_SCALE", "0.06"))  # ~12 s of load
FAULT_AT = 4.0      # seconds into the load
HEAL_AFTER = 3.0    # seconds the fault lasts, where it heals
FAULT_DATA = os.environ.get("FAULT_DATA")  # a directory from scripts/data.sh, optional


def script(system, name, *args, check=True):
    env = dict(system.env)
    r = subprocess.run([os.path.join(ROOT, "scripts", name), *args], env=env, cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    if check and r.returncode != 0:
        raise AssertionError("%s %s failed: %s" % (name, args, r.stdout.decode()))
    return r


def sites_up(system):
    return "not possible here" not in system.log("sites") and \
        os.path.exists(os.path.join(system.run, "sites.log")) and \
        "3 up" in open(os.path.join(system.run, "sites.log")).read()


class Load(nm.Load):
    """The nemesis's load (tests/faults/nemesis.py), also recording the
    Location of every 201 (--ids-out)."""

    def __init__(self, system):
        ids = tempfile.mktemp(prefix="bardo-fault-ids-")
        extra = ["--ids-out", ids]
        if FAULT_DATA:  # else bardo-load's own generated data set (docs/DATA.md)
            extra += ["--payloads", os.path.join(FAULT_DATA, "pessoas-payloads.tsv"),
                      "--terms", os.path.join(FAULT_DATA, "termos-busca.tsv")]
        super().__init__(system, LOAD_TIME_SCALE, extra)
        self.ids = ids

    def finish(self):
        out = super().finish()[1]
        with open(self.ids) as f:
            ids = [line.strip() for line in f if line.strip()]
        os.unlink(self.ids)
        return ids, out


def assert_nothing_lost(system, ids, load_out):
    print(load_out[-2500:])  # shown with -s, and on failure
    assert len(ids) > 100, "the load made too few people to mean anything:\n" + load_out
    missing = []
    with bb.Conn(system.port) as c:
        for loc in ids:
            r = c.request("GET", loc)
            if r.status != 200:
                missing.append((loc, r.status))
    assert not missing, "%d of %d ids that got a 201 are not readable: %s\n%s" % (
        len(missing), len(ids), missing[:5], load_out)
    n = int(bb.get(system.port, "/contagem-pessoas").text)
    assert n == len(ids), "count %d != %d 201s\n%s" % (n, len(ids), load_out)


def store_count(system, addr):
    reply = bb.resp_command(addr, "PCOUNT", auth=system.user("api"))
    assert reply.startswith(b":"), reply
    return int(reply[1:].strip())


@pytest.fixture
def system():
    s = bb.System(api_args="").start()
    try:
        yield s
    finally:
        problems = s.stop()
        assert not problems, "\n".join(problems)


def test_primary_killed_then_replica_promoted(system):
    load = Load(system)
    load.at(FAULT_AT)
    system.kill("store-a")
    out = script(system, "promote.sh").stdout.decode()
    ids, load_out = load.finish()
    assert_nothing_lost(system, ids, out + load_out)
    # the survivors agree with each other
    assert store_count(system, system.stores[1]) == store_count(system, system.stores[2]) == len(ids)


def test_replica_killed_and_restarted(system):
    load = Load(system)
    load.at(FAULT_AT)
    system.kill("store-b")
    load.at(FAULT_AT + HEAL_AFTER)
    script(system, "restart.sh", "store-b")
    system.killed.discard("store-b")
    ids, load_out = load.finish()
    assert_nothing_lost(system, ids, load_out)
    deadline = time.monotonic() + 10
    while store_count(system, system.stores[1]) != len(ids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert store_count(system, system.stores[1]) == len(ids), "the restarted replica did not catch up"


def test_site_cut_off_then_restored(system):
    if not sites_up(system):
        pytest.skip("no network namespaces here: a site cannot be cut off")
    load = Load(system)
    load.at(FAULT_AT)
    script(system, "sites.sh", "cut", "c")
    load.at(FAULT_AT + HEAL_AFTER)
    script(system, "sites.sh", "restore", "c")
    ids, load_out = load.finish()
    assert_nothing_lost(system, ids, load_out)
    deadline = time.monotonic() + 15
    while store_count(system, system.stores[2]) != len(ids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert store_count(system, system.stores[2]) == len(ids), "site c did not catch up"


def test_all_replicas_gone_writes_refused(system):
    load = Load(system)
    load.at(FAULT_AT)
    system.kill("store-b")
    system.kill("store-c")
    time.sleep(0.5)
    r = bb.post(system.port, "/pessoas", bb.person())
    assert r.status == 503, (r.status, r.body)
    assert bb.get(system.port, "/contagem-pessoas").status == 200  # reads go on
    load.at(FAULT_AT + HEAL_AFTER)
    for name in ("store-b", "store-c"):
        script(system, "restart.sh", name)
        system.killed.discard(name)
    ids, load_out = load.finish()
    assert_nothing_lost(system, ids, load_out)
    r = bb.post(system.port, "/pessoas", bb.person())
    assert r.status == 201, (r.status, r.body)
