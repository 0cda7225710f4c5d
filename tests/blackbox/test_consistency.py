"""SPEC section 1 "Consistency": read-your-write across the two API
instances, one winner per apelido under races, and an exact count."""
import re
import threading

from conftest import UUID_RE, Conn, build_request, count, get, person, uniq


def test_create_on_api1_get_on_api2_at_once(system):
    """The Location is readable on the other instance right after the 201
    (no pause at all: stricter than the 1..30 ms of the stress test)."""
    with Conn(system.api1) as c1, Conn(system.api2) as c2:
        for i in range(100):
            a, b = (c1, c2) if i % 2 == 0 else (c2, c1)
            body = person()
            r = a.request("POST", "/pessoas", body)
            assert r.status == 201, r
            loc = r.header("Location")
            assert re.fullmatch("/pessoas/" + UUID_RE, loc), r
            g = b.request("GET", loc)
            assert g.status == 200, (i, loc, g)
            got = g.json()
            assert got["id"] == loc.rsplit("/", 1)[1]
            assert got["apelido"] == body["apelido"]
            # and it is searchable there at once, too
            s = b.request("GET", "/pessoas?t=" + body["apelido"])
            assert s.status == 200 and [p["id"] for p in s.json()] == [got["id"]], s


def test_count_exact_right_after_creates_on_both_instances(system):
    n0 = count(system.port)
    with Conn(system.api1) as c1, Conn(system.api2) as c2:
        for i in range(30):
            assert (c1 if i % 2 else c2).request("POST", "/bards", person()).status == 201
            r = (c2 if i % 2 else c1).request("GET", "/contagem-pessoas")
            assert r.status == 200 and int(r.body) == n0 + i + 1, (i, r)


def test_duplicate_apelido_race_on_both_instances(system):
    """The same apelido sent to api-1 and api-2 at the same moment, many
    rounds: exactly one 201, the other a 422."""
    rounds = 60
    lanes = 4  # two connections on each instance
    targets = [system.api1, system.api2] * (lanes // 2)
    conns = [Conn(t) for t in targets]
    barrier = threading.Barrier(lanes)
    results = [[None] * lanes for _ in range(rounds)]
    apelidos = [uniq("race") for _ in range(rounds)]
    errors = []

    def lane(k):
        try:
            for i in range(rounds):
                req = build_request("POST", "/pessoas", person(apelido=apelidos[i]))
                barrier.wait(timeout=10)
                conns[k].send(req)
                results[i][k] = conns[k].read_response().status
        except Exception as e:  # reported below
            errors.append(repr(e))
            barrier.abort()

    n0 = count(system.port)
    threads = [threading.Thread(target=lane, args=(k,)) for k in range(lanes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for c in conns:
        c.close()
    assert not errors, errors
    for i, statuses in enumerate(results):
        assert sorted(statuses) == [201] + [422] * (lanes - 1), (i, apelidos[i], statuses)
    assert count(system.port) == n0 + rounds


def test_concurrent_creates_through_nginx_count_equals_201s(system):
    """Many clients create at once through nginx, a third of them with an
    apelido that another one also sends: count == number of 201s, and each
    apelido was accepted once."""
    n_threads, per_thread = 16, 30
    shared = [uniq("dup") for _ in range(40)]
    created = []
    statuses = []
    lock = threading.Lock()
    errors = []

    def worker(k):
        try:
            with Conn(system.port, timeout=15) as c:
                for i in range(per_thread):
                    ap = shared[(k * 10 + i // 3) % len(shared)] if i % 3 == 0 else uniq("c")
                    r = c.request("POST", "/pessoas", person(apelido=ap))
                    with lock:
                        statuses.append(r.status)
                        if r.status == 201:
                            created.append((ap, r.header("Location")))
        except Exception as e:
            errors.append(repr(e))

    n0 = count(system.port)
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(statuses) == n_threads * per_thread
    assert set(statuses) <= {201, 422}, sorted(set(statuses))
    n201 = statuses.count(201)
    assert count(system.port) == n0 + n201
    assert count(system.port, "bards") == n0 + n201
    aps = [ap for ap, _ in created]
    assert len(aps) == len(set(aps)), "an apelido was accepted twice"
    assert set(shared) <= set(aps), "a shared apelido was never accepted"
    # every Location is readable
    for _, loc in created[::7]:
        assert get(system.port, loc).status == 200
