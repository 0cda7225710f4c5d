"""Five sites (issue 10: "3 of 5: five sites must work"): a fresh bardo
with five store sites (SITES=5 scripts/up.sh: store-a the primary in site
a, replicas store-b .. store-e in sites b .. e, 1 ms apart as root; K=2,
the stores' own majority), the nemesis's load and checker
(tests/faults/nemesis.py), one fault per test:

  * kill -9 the primary: a new primary is elected, nothing lost;
  * kill -9 the primary and a replica at once: the three left elect and
    writes go on (3 of 5), nothing lost;
  * a partition: the primary and one replica on one side, the other three
    on the other (sites.sh block between every pair across): the two-node
    side acknowledges nothing once cut (check-quorum: K=2 needs a second
    replica it cannot reach), the three elect; healed, all five converge.

Each prints the nemesis's line (201s, KOs, lost, window_ms). The load runs
at half the official rate (FIVE_SITES_SCALE): five stores, two APIs,
nginx and the load share two cores with whatever else runs. About 25 s a
test. How each can fail: docs/FAULTS.md ("Five sites").

Run: /usr/bin/python3 -m pytest -s -q tests/faults/test_five_sites.py
"""
import os
import time

import pytest

import nemesis as nm

FAULT_AT = 4.0      # seconds into the load (of ~12 at the default time scale)
HEAL_AFTER = 3.0    # how long the partition lasts
SCALE = os.environ.get("FIVE_SITES_SCALE", "0.5")  # bardo-load --scale
AFTER_CUT_MS = 100  # creates sent this soon after the cut are not judged
BEFORE_NEW_MS = 150  # nor those answered this close before the poll that saw the
                     # majority's primary (an API may follow it a poll earlier)


@pytest.fixture
def system():
    s = nm.bb.System(api_args="", sites=5)
    s.start()
    try:
        assert len(s.stores) == 5, s.stores
        yield s
    finally:
        problems = s.stop()
        assert not problems, "\n".join(problems)


def five_site_run(system, name):
    return nm.Run(system, name, extra=("--scale", SCALE))


def others(system, addr):
    return [a for a in system.stores if a != addr]


def acked_after(run, t_monotonic):
    """The 201s of creates sent after t (time.monotonic())."""
    t = run.load.ms(t_monotonic)
    return [e for e in run.events if e.sent >= t and e.outcome == "201"]


def test_five_kill_primary(system):
    run = five_site_run(system, "five-kill-primary")
    run.load.at(FAULT_AT)
    p = run.primary()
    system.kill(nm.name_of(system, p))
    run.inject("kill -9 " + nm.name_of(system, p))
    new = run.new_primary(p)
    run.note("new primary " + nm.name_of(system, new))
    run.finish()
    assert acked_after(run, run.injections[0]), "no 201 after the kill: " + run.report.line()


def test_five_kill_primary_and_replica(system):
    """Two of five die at once: three are a majority, so they elect and
    every create sent afterwards can succeed (asserted: 201s after it)."""
    run = five_site_run(system, "five-kill-two")
    run.load.at(FAULT_AT)
    p = run.primary()
    r = others(system, p)[0]
    system.kill(nm.name_of(system, p))
    system.kill(nm.name_of(system, r))
    run.inject("kill -9 %s and %s" % (nm.name_of(system, p), nm.name_of(system, r)))
    new = run.new_primary(p)
    assert new not in (p, r), new
    run.note("new primary " + nm.name_of(system, new))
    run.finish()
    assert acked_after(run, run.injections[0]), \
        "writes did not go on with three of five: " + run.report.line()


def block_all(system, side, rest, how):
    for a in side:
        for b in rest:
            nm.script(system, "sites.sh", how, nm.site_of(system, a), nm.site_of(system, b))


def primary_since(samples, nodes, t_from):
    """The first poll (time.monotonic()) after t_from at which one of nodes
    answered primary, or None."""
    ts = [t for t, a, r, _, _ in samples if t >= t_from and a in nodes and r == "primary"]
    return min(ts) if ts else None


def test_five_partition_two_three(system):
    """The primary and one replica cut from the other three (every link
    across blocked; the APIs, outside every site, still reach all five)."""
    if not nm.sites_up(system):
        pytest.skip("no network namespaces here: sites cannot be blocked")
    run = five_site_run(system, "five-partition-2-3")
    run.load.at(FAULT_AT)
    p = run.primary()
    minority = [p, others(system, p)[0]]
    majority = [a for a in system.stores if a not in minority]
    run.note("blocking")
    block_all(system, minority, majority, "block")
    run.inject("block {%s} from {%s}" % (",".join(nm.name_of(system, a) for a in minority),
                                         ",".join(nm.name_of(system, a) for a in majority)))
    new = run.new_primary(p)
    assert new in majority, "%s became primary on the minority side" % nm.name_of(system, new)
    run.load.at(FAULT_AT + HEAL_AFTER)
    healed = time.monotonic()
    block_all(system, minority, majority, "unblock")
    run.note("unblocked; primary during the cut " + nm.name_of(system, new))
    run.finish()
    check_minority_silent(run, p, majority, healed)


def check_minority_silent(run, old, majority, healed):
    """Between the cut (all blocks in place) and the first poll that saw a
    majority-side primary, only the old primary could answer: no create
    sent then may get a 201 (K=2: it reaches one replica). And the old
    primary must have stepped down before the heal (check-quorum)."""
    cut = run.injections[0]
    elected = primary_since(run.samples, majority, cut)
    assert elected is not None, "no majority-side primary in the polls"
    lo, hi = run.load.ms(cut) + AFTER_CUT_MS, run.load.ms(elected) - BEFORE_NEW_MS
    minority_only = [e for e in acked_after(run, cut) if e.sent >= lo and e.done < hi]
    assert not minority_only, "%d creates got a 201 while only the minority side had a primary: %s" % (
        len(minority_only), minority_only[:3])
    stepped = [t for t, a, r, _, _ in run.samples if a == old and cut <= t < healed and r != "primary"]
    assert stepped, "the old primary never stepped down while cut off from the majority"
    assert acked_after(run, elected), "no 201 from the three-node side: " + run.report.line()
    print("  cut -> majority's primary seen %.0f ms, old primary not primary %.0f ms; "
          "judged %.0f ms of creates: none got a 201" % (
              (elected - cut) * 1000, (min(stepped) - cut) * 1000, max(0.0, hi - lo)))
