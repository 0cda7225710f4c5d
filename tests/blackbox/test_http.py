"""HTTP/1.x behaviour of the API instances (directly on their Unix sockets)
and of the whole system (through nginx)."""
import json
import os
import signal
import socket
import threading
import time

import pytest

from conftest import (IDLE_S, REQUEST_TIMEOUT_S, SWEEP_S, Conn, System, build_request, connect,
                      count, get, person, post, request, uniq)

# A connection the server must cut is cut by its once-a-second sweep: allow
# the timeout, one sweep period and some slack (ASan builds are slower).
IDLE_CUT_S = IDLE_S + SWEEP_S + 1.5
REQUEST_CUT_S = REQUEST_TIMEOUT_S + SWEEP_S + 1.5


@pytest.fixture(params=["api-1", "nginx"])
def target(request, system):
    """Where to connect: api-1's Unix socket directly, or nginx."""
    return system.api1 if request.param == "api-1" else system.port


def statuses_in_order(conn, methods):
    return [conn.read_response(m).status for m in methods]


# --------------------------------------------------------------------------
# basic routing
# --------------------------------------------------------------------------

def test_health(system):
    for t in (system.port, system.api1, system.api2):
        r = get(t, "/health")
        assert r.status == 200, r


@pytest.mark.parametrize("path", ["/foo", "/dashboard/", "/pessoasx", "/pessoas/a/b", "/pessoas/",
                                  "/contagem-pessoas/", "/contagem", "/health/x", "/PESSOAS",
                                  "/bards/", "/pessoas%2F" + "a" * 36])
def test_unknown_path_404(target, path):
    r = get(target, path)
    assert r.status == 404, (path, r)


@pytest.mark.parametrize("method,path,allowed", [
    ("DELETE", "/pessoas", {"GET", "POST"}),
    ("PUT", "/pessoas", {"GET", "POST"}),
    ("PATCH", "/bards", {"GET", "POST"}),
    ("PUT", "/pessoas/8d3b8b4e-3d1f-4c6e-9c33-0c3c4b5a6d7e", {"GET"}),
    ("DELETE", "/bards/8d3b8b4e-3d1f-4c6e-9c33-0c3c4b5a6d7e", {"GET"}),
    ("POST", "/pessoas/8d3b8b4e-3d1f-4c6e-9c33-0c3c4b5a6d7e", {"GET"}),
    ("POST", "/contagem-pessoas", {"GET"}),
    ("DELETE", "/contagem-bards", {"GET"}),
    ("POST", "/health", {"GET"}),
])
def test_405_with_allow(target, method, path, allowed):
    r = request(target, method, path, body=b"{}" if method in ("POST", "PUT", "PATCH") else None)
    assert r.status == 405, (method, path, r)
    allow = r.header("Allow")
    assert allow is not None, r
    assert {m.strip() for m in allow.split(",")} == allowed, r


def test_405_does_not_create(system):
    n = count(system.port)
    for m in ("PUT", "PATCH", "DELETE"):
        assert request(system.port, m, "/pessoas", body=person()).status == 405
    assert count(system.port) == n


# --------------------------------------------------------------------------
# connection reuse
# --------------------------------------------------------------------------

def test_keep_alive_many_requests(target):
    n0 = None
    with Conn(target) as c:
        for i in range(300):
            kind = i % 4
            if kind == 0:
                r = c.request("POST", "/pessoas", person())
                assert r.status == 201, (i, r)
                loc = r.header("Location")
            elif kind == 1:
                r = c.request("GET", loc)
                assert r.status == 200, (i, r)
            elif kind == 2:
                r = c.request("GET", "/contagem-pessoas")
                assert r.status == 200, (i, r)
                n = int(r.body)
                assert n0 is None or n == n0 + 1, (n0, n)
                n0 = n
            else:
                r = c.request("POST", "/pessoas", person(nome=None))
                assert r.status == 422, (i, r)
            assert r.header("Connection", "").lower() != "close", (i, r)
        assert not c.closed_by_peer(0.05)


def test_connection_close_is_honoured(target):
    with Conn(target) as c:
        r = c.request("GET", "/health", headers={"Connection": "close"})
        assert r.status == 200
        assert r.header("Connection", "").lower() == "close", r
        assert c.closed_by_peer(2.0)


def test_pipelining_responses_in_order(target):
    """Requests answered locally (422, 404, 405) and ones that wait for the
    store, all in one send: the answers come back in request order."""
    ap = uniq("pipe")
    reqs = [
        ("GET", "/contagem-pessoas", None, 200),
        ("POST", "/pessoas", person(nome=None), 422),
        ("POST", "/pessoas", person(apelido=ap), 201),
        ("GET", "/pessoas/nope", None, 404),
        ("GET", "/pessoas?t=" + ap, None, 200),
        ("POST", "/pessoas", person(apelido=ap), 422),   # duplicate of the third
        ("DELETE", "/pessoas", None, 405),
        ("GET", "/pessoas", None, 400),
        ("GET", "/health", None, 200),
        ("POST", "/pessoas", "[]", 400),
        ("GET", "/contagem-bards", None, 200),
    ]
    data = b"".join(build_request(m, p, b) for m, p, b, _ in reqs)
    with Conn(target) as c:
        c.send(data)
        resps = [c.read_response(m) for m, _, _, _ in reqs]
        assert [r.status for r in resps] == [s for _, _, _, s in reqs], resps
        found = resps[4].json()
        assert [p["apelido"] for p in found] == [ap], resps[4]
        assert int(resps[10].body) == int(resps[0].body) + 1
        # and the connection is still fine
        assert c.request("GET", "/health").status == 200


def test_pipelining_deep(target):
    """Fifty creates and fifty reads of their ids' prefix... in one send."""
    with Conn(target, timeout=10) as c:
        bodies = [person() for _ in range(50)]
        c.send(b"".join(build_request("POST", "/pessoas", b) for b in bodies))
        locs = []
        for _ in bodies:
            r = c.read_response("POST")
            assert r.status == 201, r
            locs.append(r.header("Location"))
        c.send(b"".join(build_request("GET", loc) for loc in locs))
        for b, loc in zip(bodies, locs):
            r = c.read_response()
            assert r.status == 200 and r.json()["apelido"] == b["apelido"], (loc, r)


def test_body_split_across_sends(target):
    body = json.dumps(person(nome="Dividido em pedaços"), ensure_ascii=False).encode()
    data = build_request("POST", "/pessoas", body)
    head_len = data.index(b"\r\n\r\n") + 4
    cuts = [7, head_len - 3, head_len, head_len + 5, head_len + len(body) // 2, len(data) - 1]
    with Conn(target) as c:
        last = 0
        for cut in cuts:
            c.send(data[last:cut])
            last = cut
            time.sleep(0.08)
            assert b"HTTP/1.1" not in c.buf and not c.closed_by_peer(0.0)
        c.send(data[last:])
        r = c.read_response("POST")
        assert r.status == 201, r
        assert c.request("GET", r.header("Location")).status == 200


def test_byte_by_byte(system):
    data = build_request("POST", "/pessoas", person())
    with Conn(system.api1) as c:
        for i in range(len(data)):
            c.send(data[i:i + 1])
        assert c.read_response("POST").status == 201


# --------------------------------------------------------------------------
# Content-Length and framing (directly on an API instance)
# --------------------------------------------------------------------------

def test_content_length_waits_for_the_whole_body(system):
    body = json.dumps(person()).encode()
    head = b"POST /pessoas HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
    with Conn(system.api1) as c:
        c.send(head + body[:-1])
        assert not c.closed_by_peer(0.3)
        assert c.buf == b"", c.buf
        c.send(body[-1:])
        assert c.read_response("POST").status == 201


def test_bytes_after_content_length_are_the_next_request(system):
    body = json.dumps(person()).encode()
    head = b"POST /pessoas HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
    with Conn(system.api2) as c:
        c.send(head + body + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.read_response("POST").status == 201
        assert c.read_response().status == 200


def test_content_length_shorter_than_json(system):
    body = json.dumps(person()).encode()
    head = b"POST /pessoas HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (len(body) - 1)
    n = count(system.port)
    with Conn(system.api1) as c:
        c.send(head + body[:-1])
        assert c.read_response("POST").status == 400
    assert count(system.port) == n


@pytest.mark.parametrize("headers", [
    "Content-Length: abc\r\n",
    "Content-Length: -1\r\n",
    "Content-Length: 1 2\r\n",
    "Content-Length: 0x10\r\n",
    "Content-Length: 99999999999999999999999\r\n",
    "Content-Length: 2\r\nContent-Length: 3\r\n",
    "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
], ids=lambda h: h.strip()[:40])
def test_bad_content_length_400_and_close(system, headers):
    with Conn(system.api1) as c:
        c.send(("POST /pessoas HTTP/1.1\r\nHost: x\r\n%s\r\n{}" % headers).encode())
        r = c.read_response("POST")
        assert r.status == 400, r
        assert c.closed_by_peer(2.0)


def test_zero_or_missing_content_length_post(system):
    n = count(system.port)
    with Conn(system.api1) as c:
        r = c.request("POST", "/pessoas", headers={"Content-Length": "0"})
        assert r.status == 400, r
    with Conn(system.api1) as c:
        c.send(b"POST /pessoas HTTP/1.1\r\nHost: x\r\n\r\n")
        r = c.read_response("POST")
        assert r.status in (400, 411), r
    assert count(system.port) == n


def test_expect_100_continue(system):
    body = json.dumps(person()).encode()
    with Conn(system.api1) as c:
        c.send(b"POST /pessoas HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
               b"Content-Length: %d\r\n\r\n" % len(body))
        r = c.read_response("POST")
        assert r.status == 100, r
        c.send(body)
        r = c.read_response("POST")
        assert r.status == 201, r


def test_chunked_501_and_close(system):
    """No transfer coding is implemented, not even chunked: 501, then close
    (more cases in test_smuggling.py)."""
    n = count(system.port)
    for sock in (system.api1, system.api2):
        with Conn(sock) as c:
            body = json.dumps(person()).encode()
            c.send(b"POST /pessoas HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
            r = c.read_response("POST")
            assert r.status == 501, r
            assert c.closed_by_peer(2.0)
    assert count(system.port) == n


@pytest.mark.parametrize("line", [
    b"GARBAGE\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",   # a TLS hello
    b"GET\r\n\r\n",
    b"GET /health\r\n\r\n",
    b"GET /health HTTP/2.0\r\n\r\n",
    b"GET /health HTTP/1.1 extra\r\n\r\n",
    b"GET health HTTP/1.1\r\n\r\n",
    b"GET  /health HTTP/1.1\r\n\r\n",
    b"G(T /health HTTP/1.1\r\n\r\n",
    b"GET /he alth HTTP/1.1\r\n\r\n",
    b"GET /health HTTP/1.1\r\nBad Header\r\n\r\n",
    b"GET /health HTTP/1.1\r\n: empty-name\r\n\r\n",
    b"GET /health HTTP/1.1\r\nX : space-before-colon\r\n\r\n",
], ids=lambda b: repr(b[:24]))
def test_garbage_400(system, line):
    with Conn(system.api1) as c:
        c.send(line)
        r = c.read_response()
        assert r.status == 400, (line, r)
        assert c.closed_by_peer(2.0)
    assert get(system.api1, "/health").status == 200


def test_garbage_400_through_nginx(system):
    with Conn(system.port) as c:
        c.send(b"GARBAGE\r\n\r\n")
        assert c.read_response().status == 400


# --------------------------------------------------------------------------
# limits
# --------------------------------------------------------------------------

def big_headers(total, each=1000):
    n = total // each + 1
    return [("X-Filler-%d" % i, "v" * each) for i in range(n)]


@pytest.mark.parametrize("mode", ["one-send", "trickle", "one-line"])
def test_header_block_over_8k_431(system, mode):
    if mode == "one-line":
        hdrs = [("X-Long", "v" * 9000)]
    else:
        hdrs = big_headers(9 * 1024)
    data = build_request("GET", "/health", headers=hdrs)
    assert len(data) > 8 * 1024
    with Conn(system.api1) as c:
        if mode == "trickle":
            for i in range(0, len(data), 1024):
                try:
                    c.send(data[i:i + 1024])
                except (BrokenPipeError, ConnectionResetError):
                    break
                time.sleep(0.01)
        else:
            c.send(data)
        r = c.read_response()
        assert r.status == 431, r
        assert c.closed_by_peer(2.0)
    assert get(system.api1, "/health").status == 200


def test_header_block_under_8k_accepted(system):
    hdrs = big_headers(6 * 1024, each=900)
    data = build_request("GET", "/health", headers=hdrs)
    assert 6 * 1024 < len(data) < 8 * 1024
    with Conn(system.api1) as c:
        c.send(data)
        assert c.read_response().status == 200


def test_header_block_over_8k_through_nginx(system):
    for hdrs in (big_headers(9 * 1024), [("X-Long", "v" * 9000)]):
        r = request(system.port, "GET", "/health", headers=hdrs)
        assert r.status in (400, 431), r


def test_body_over_32k_413_connection_still_usable(system):
    n = count(system.port)
    for size in (32 * 1024 + 1, 200 * 1024):
        body = b'{"apelido":"%s","nome":"x","nascimento":"2000-01-01","x":"' % uniq("b").encode()
        body += b"a" * (size - len(body) - 2) + b'"}'
        assert len(body) == size
        with Conn(system.api1, timeout=10) as c:
            r = c.request("POST", "/pessoas", body)
            assert r.status == 413, r
            # the same connection serves the next request
            r = c.request("POST", "/pessoas", person())
            assert r.status == 201, r
            assert c.request("GET", r.header("Location")).status == 200
            n += 1
    assert count(system.port) == n


def test_body_413_before_the_body_arrives(system):
    """The 413 is decided on Content-Length; a huge one closes afterwards."""
    with Conn(system.api1) as c:
        c.send(b"POST /pessoas HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (2 << 20))
        r = c.read_response("POST")
        assert r.status == 413, r
        assert c.closed_by_peer(2.0)


def test_body_exactly_32k_accepted(system):
    p = person()
    doc = json.dumps(p).encode()
    body = doc[:-1] + b" " * (32 * 1024 - len(doc)) + b"}"
    assert len(body) == 32 * 1024
    r = post(system.api2, "/pessoas", body)
    assert r.status == 201, r


def test_body_over_32k_through_nginx(system):
    n = count(system.port)
    body = json.dumps(dict(person(), x="a" * (40 * 1024))).encode()
    r = post(system.port, "/pessoas", body)
    assert r.status == 413, r
    assert count(system.port) == n


# --------------------------------------------------------------------------
# timeouts (directly on an API instance: nginx has its own, longer ones)
# --------------------------------------------------------------------------

def test_idle_keep_alive_connection_closed(system):
    used = Conn(system.api1)
    silent = Conn(system.api2)        # never sends a byte
    try:
        assert used.request("GET", "/health").status == 200
        t0 = time.monotonic()
        assert not used.closed_by_peer(IDLE_S * 0.5), "closed before the idle timeout"
        assert used.closed_by_peer(IDLE_CUT_S - (time.monotonic() - t0)), \
            "idle connection still open after %.1f s" % IDLE_CUT_S
        assert used.buf == b"", used.buf
        assert silent.closed_by_peer(1.0), "a connection that never sent anything stays open"
    finally:
        used.close()
        silent.close()


def test_activity_keeps_connection_open(system):
    with Conn(system.api1) as c:
        t0 = time.monotonic()
        while time.monotonic() - t0 < IDLE_S * 1.6:
            assert c.request("GET", "/health").status == 200
            time.sleep(IDLE_S / 4)


def test_slow_client_stalls_nobody_and_is_cut(system):
    """Half a request (head + half the body; and half a head) on api-1:
    other clients of api-1 are served meanwhile, and the half requests are
    cut after the request timeout."""
    body = json.dumps(person()).encode()
    full = build_request("POST", "/pessoas", body)
    half_body = Conn(system.api1)
    half_head = Conn(system.api1)
    nginx_slow = Conn(system.port)
    try:
        half_body.send(full[:len(full) - len(body) // 2])
        half_head.send(full[:20])
        nginx_slow.send(full[:len(full) - 5])
        t0 = time.monotonic()
        with Conn(system.api1) as other, Conn(system.port) as via_nginx:
            for _ in range(20):
                t = time.monotonic()
                assert other.request("POST", "/pessoas", person()).status == 201
                assert via_nginx.request("GET", "/contagem-pessoas").status == 200
                assert time.monotonic() - t < 0.5
        assert time.monotonic() - t0 < REQUEST_TIMEOUT_S * 0.9, "too slow to prove anything"
        assert not half_body.closed_by_peer(0.0)
        left = REQUEST_CUT_S - (time.monotonic() - t0)
        for c in (half_body, half_head):
            assert c.closed_by_peer(max(left, 0.1)), "half request not cut after the timeout"
            left = REQUEST_CUT_S - (time.monotonic() - t0)
            if c.buf:  # a 408 before closing is fine, anything else is not
                assert c.buf.startswith(b"HTTP/1.1 408"), c.buf
    finally:
        half_body.close()
        half_head.close()
        nginx_slow.close()
    assert get(system.api1, "/health").status == 200


def test_client_vanishes_mid_request(system):
    """Clients that disconnect mid-body or right after sending (while the
    store answers) do not hurt the instance."""
    for i in range(30):
        s = connect(system.api1 if i % 2 else system.api2)
        data = build_request("POST", "/pessoas", person())
        s.sendall(data if i % 3 == 0 else data[:len(data) - 10])
        s.close()
    for t in (system.api1, system.api2, system.port):
        assert get(t, "/health").status == 200


# --------------------------------------------------------------------------
# many connections
# --------------------------------------------------------------------------

@pytest.mark.parametrize("n", [500])
def test_many_concurrent_connections(target, n):
    conns = []
    try:
        for _ in range(n):
            conns.append(Conn(target, timeout=15))
        for i, c in enumerate(conns):
            if i % 5 == 0:
                c.send(build_request("POST", "/pessoas", person()))
            else:
                c.send(build_request("GET", "/contagem-pessoas" if i % 2 else "/health"))
        for i, c in enumerate(conns):
            r = c.read_response("POST" if i % 5 == 0 else "GET")
            assert r.status == (201 if i % 5 == 0 else 200), (i, r)
        # all still open and reusable
        for c in conns[::25]:
            assert c.request("GET", "/health").status == 200
    finally:
        for c in conns:
            c.close()


def test_many_threads_mixed_load(system):
    errors = []

    def worker(k):
        try:
            with Conn(system.port, timeout=15) as c:
                for i in range(25):
                    r = c.request("POST", "/pessoas", person())
                    if r.status != 201:
                        errors.append(r)
                        continue
                    g = c.request("GET", r.header("Location"))
                    if g.status != 200:
                        errors.append(g)
                    if c.request("GET", "/pessoas?t=" + uniq("", 4)).status != 200:
                        errors.append("search")
                    if c.request("GET", "/pessoas").status != 400:
                        errors.append("invalid search")
        except Exception as e:
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:5]


# --------------------------------------------------------------------------
# HTTP/1.0
# --------------------------------------------------------------------------

def test_http10_without_keep_alive_closes(target):
    with Conn(target) as c:
        c.send(b"GET /health HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200, r
        assert r.header("Connection", "close").lower() != "keep-alive", r
        assert c.closed_by_peer(2.0)


def test_http10_post_without_keep_alive(system):
    body = json.dumps(person()).encode()
    with Conn(system.api1) as c:
        c.send(b"POST /pessoas HTTP/1.0\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        r = c.read_response("POST")
        assert r.status == 201 and r.header("Location"), r
        assert c.closed_by_peer(2.0)


def test_http10_keep_alive(system):
    with Conn(system.api1) as c:
        for _ in range(3):
            c.send(b"GET /contagem-pessoas HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            r = c.read_response()
            assert r.status == 200, r
            assert r.header("Connection", "").lower() == "keep-alive", r
            assert int(r.body) >= 0
        assert not c.closed_by_peer(0.1)
        c.send(b"GET /health HTTP/1.0\r\n\r\n")
        assert c.read_response().status == 200
        assert c.closed_by_peer(2.0)


# --------------------------------------------------------------------------
# /health when the store is gone: a system of its own
# --------------------------------------------------------------------------

def test_health_503_when_store_killed():
    s = System().start()
    problems = []
    try:
        assert get(s.port, "/health").status == 200
        loc = post(s.port, "/pessoas", person()).header("Location")
        assert loc
        keep = Conn(s.api1)
        assert keep.request("GET", "/health").status == 200
        # one store is no longer enough: another is elected primary, so
        # every store node goes (the whole store tier is gone)
        for name in ("store-a", "store-b", "store-c"):
            s.kill(name)
        # each API notices on its own (a closed connection or its next
        # ROLE poll), so wait for each one, not just whichever nginx picks
        deadline = time.monotonic() + 5
        for t in (s.port, s.api1, s.api2):
            while True:
                r = get(t, "/health")
                if r.status == 503 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            assert r.status == 503, (t, r)
        assert keep.request("GET", "/health").status == 503
        keep.close()
        # requests that need the store fail fast with 503, they do not hang
        for method, path, body in (("POST", "/pessoas", person()), ("GET", loc, None),
                                   ("GET", "/pessoas?t=a", None), ("GET", "/contagem-pessoas", None)):
            t = time.monotonic()
            r = request(s.port, method, path, body=body, timeout=10)
            assert r.status == 503, (method, path, r)
            assert time.monotonic() - t < 5
        # what needs no store still works
        assert get(s.port, "/pessoas").status == 400
        assert post(s.port, "/pessoas", "[]").status == 400
    finally:
        problems = s.stop()
    assert not problems, "\n".join(problems)


def test_create_whose_fate_is_unknown_gets_504_not_503():
    """503 means "not created"; when the API cannot know (the primary took
    the write and then lost its replicas: it may be journaled, and a
    replica that got it may be elected), the create ends in 504 with a
    JSON error that says it may exist. Both replicas frozen: the primary
    holds the create, then withdraws it (-TIMEOUT) or steps down
    (-FENCED) 0.6 s later, and no primary can be elected (a majority is
    frozen). A create sent after the APIs have seen that gets 503 at
    once: it never reached a store."""
    s = System().start()
    frozen = []
    try:
        loc = post(s.port, "/pessoas", person()).header("Location")
        assert loc
        for name in ("store-b", "store-c"):
            os.kill(s.pids[name], signal.SIGSTOP)
            frozen.append(name)
        t = time.monotonic()
        r = request(s.port, "POST", "/pessoas", body=person(), timeout=15)
        assert r.status == 504, r
        assert time.monotonic() - t < 8  # API_RETRY_MS (6 s) at most
        assert "may exist" in r.json()["errors"][0]["message"], r.body
        time.sleep(1.0)  # every API's ROLE polls see the majority gone
        t = time.monotonic()
        r = request(s.port, "POST", "/pessoas", body=person(), timeout=15)
        assert r.status == 503, r
        assert time.monotonic() - t < 1
        # no primary, but store-a answers: /health says degraded (200, the
        # instance stays in the balancer) and reads go on
        r = get(s.port, "/health")
        assert r.status == 200 and r.json() == {"status": "degraded", "writes": False, "reads": True}, r
        assert get(s.port, loc).status == 200
    finally:
        for name in frozen:
            os.kill(s.pids[name], signal.SIGCONT)
        problems = s.stop()
    assert not problems, "\n".join(problems)
