"""Request smuggling, straight at an API's own socket (no nginx in front):
the API must frame requests safely by itself (issue 11).

Every refusal here must be the only response on its connection: the API
answers once, says Connection: close, and hangs up, so no byte after the
head is ever parsed as another request. A smuggled create would raise the
count, a smuggled GET would give a second response: the tests check both.
"""
import json

import pytest

from conftest import Conn, count, get, person, uniq

SMUGGLED_GET = b"GET /contagem-pessoas HTTP/1.1\r\nHost: x\r\n\r\n"


def smuggled_post(apelido):
    body = json.dumps(person(apelido=apelido)).encode()
    return (b"POST /pessoas HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


def only_response(conn, method="POST"):
    """The one response on conn: the peer must close right after it, with
    nothing more to read (a smuggled request would have answered too)."""
    r = conn.read_response(method)
    assert conn.closed_by_peer(2.0), ("connection left open after", r)
    assert conn.buf == b"", ("a second response arrived", r, conn.buf[:200])
    return r


def assert_refused(r, status):
    assert r.status == status, r
    assert r.header("Connection", "").lower() == "close", r
    if r.header("Content-Type", "").startswith("application/json"):
        assert r.json()["errors"][0]["message"], r


def nobody_named(port, apelido):
    r = get(port, "/pessoas?t=" + apelido)
    assert r.status == 200, r
    return r.json() == []


# --------------------------------------------------------------------------
# Transfer-Encoding: the API implements no transfer coding -> 501, close
# --------------------------------------------------------------------------

@pytest.mark.parametrize("api", ["api1", "api2"])
@pytest.mark.parametrize("smuggled", ["get", "post"])
def test_te_gzip_smuggled_request_not_parsed(system, api, smuggled):
    """The report of issue 11: before the fix this was 400, then 200."""
    apelido = uniq("smug")
    inner = SMUGGLED_GET if smuggled == "get" else smuggled_post(apelido)
    n = count(system.port)
    with Conn(getattr(system, api)) as c:
        c.send(b"POST /pessoas HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: gzip\r\n\r\n" + inner)
        assert_refused(only_response(c), 501)
    assert count(system.port) == n
    assert nobody_named(system.port, apelido)
    assert get(getattr(system, api), "/health").status == 200


def chunked(data):
    return b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data)


@pytest.mark.parametrize("te", [
    "Transfer-Encoding: chunked",
    "Transfer-Encoding: gzip, chunked",
    "Transfer-Encoding: chunked, gzip",
    "Transfer-Encoding: identity",
    "Transfer-Encoding:",
    "Transfer-Encoding: \t ",
    "transfer-encoding: CHUNKED",
    "TRANSFER-ENCODING:\t chunked \t",
    "Transfer-Encoding: chunked;foo=bar",
    "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked",
    "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
    "Transfer-Encoding: xchunked",
], ids=lambda h: h.replace("\r\n", " | ")[:50])
def test_any_transfer_encoding_501_and_close(system, te):
    apelido = uniq("te")
    n = count(system.port)
    with Conn(system.api1) as c:
        c.send(("POST /pessoas HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "%s\r\n\r\n" % te).encode()
               + chunked(json.dumps(person(apelido=apelido)).encode()) + SMUGGLED_GET)
        assert_refused(only_response(c), 501)
    assert count(system.port) == n
    assert nobody_named(system.port, apelido)


@pytest.mark.parametrize("head", [
    b"GET /contagem-pessoas HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"POST /pessoas HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"POST /pessoas HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
    b"Transfer-Encoding: gzip\r\n\r\n",
], ids=["get", "http10", "expect-continue"])
def test_transfer_encoding_refused_whatever_the_request(system, head):
    with Conn(system.api2) as c:
        c.send(head + SMUGGLED_GET)
        assert_refused(only_response(c), 501)


def test_transfer_encoding_refused_on_a_kept_alive_connection(system):
    """A good request first, then the smuggling one on the same connection."""
    with Conn(system.api1) as c:
        assert c.request("GET", "/health").status == 200
        c.send(b"POST /pessoas HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
               + SMUGGLED_GET)
        assert_refused(only_response(c), 501)


# --------------------------------------------------------------------------
# Content-Length and Transfer-Encoding together; conflicting lengths -> 400
# --------------------------------------------------------------------------

@pytest.mark.parametrize("order", ["cl-te", "te-cl"])
@pytest.mark.parametrize("coding", ["chunked", "gzip", "identity"])
def test_content_length_with_transfer_encoding_400_and_close(system, order, coding):
    """CL.TE and TE.CL desync: whichever header the API believed, the other
    one would frame a different request."""
    apelido = uniq("clte")
    body = chunked(json.dumps(person(apelido=apelido)).encode()) + SMUGGLED_GET
    cl = "Content-Length: %d\r\n" % len(body)
    te = "Transfer-Encoding: %s\r\n" % coding
    hdrs = cl + te if order == "cl-te" else te + cl
    n = count(system.port)
    with Conn(system.api1) as c:
        c.send(("POST /pessoas HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "%s\r\n" % hdrs).encode() + body)
        assert_refused(only_response(c), 400)
    assert count(system.port) == n
    assert nobody_named(system.port, apelido)


def test_conflicting_content_lengths_400_and_close(system):
    apelido = uniq("cl")
    inner = smuggled_post(apelido)
    with Conn(system.api1) as c:
        c.send(b"POST /pessoas HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
               b"Content-Length: %d\r\n\r\n%s" % (len(inner), inner))
        assert_refused(only_response(c), 400)
    assert nobody_named(system.port, apelido)


# --------------------------------------------------------------------------
# Host (RFC 9112 3.2): exactly one on HTTP/1.1, optional on HTTP/1.0
# --------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST"])
def test_http11_without_host_400_and_close(system, method):
    apelido = uniq("nohost")
    body = json.dumps(person(apelido=apelido)).encode() if method == "POST" else b""
    path = "/pessoas" if method == "POST" else "/contagem-pessoas"
    n = count(system.port)
    with Conn(system.api1) as c:
        c.send(b"%s %s HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
               % (method.encode(), path.encode(), len(body), body) + SMUGGLED_GET)
        r = only_response(c, method)
        assert_refused(r, 400)
        assert "Host" in r.json()["errors"][0]["message"], r
    assert count(system.port) == n
    assert nobody_named(system.port, apelido)


@pytest.mark.parametrize("hosts", [
    "Host: a\r\nHost: b",
    "Host: a\r\nhost: a",
    "HOST: a\r\nX-Other: 1\r\nHost:",
], ids=["different", "same", "empty-second"])
def test_two_host_headers_400_and_close(system, hosts):
    with Conn(system.api2) as c:
        c.send(("GET /contagem-pessoas HTTP/1.1\r\n%s\r\n\r\n" % hosts).encode() + SMUGGLED_GET)
        r = only_response(c, "GET")
        assert_refused(r, 400)
        assert "Host" in r.json()["errors"][0]["message"], r


def test_http10_without_host_accepted(system):
    n = count(system.port)
    with Conn(system.api1) as c:
        c.send(b"GET /contagem-pessoas HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r = c.read_response()
        assert r.status == 200, r
        body = json.dumps(person()).encode()
        c.send(b"POST /pessoas HTTP/1.0\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        r = c.read_response("POST")
        assert r.status == 201, r
        assert c.closed_by_peer(2.0)
    assert count(system.port) == n + 1


def test_http11_with_empty_host_accepted(system):
    """RFC 9112 3.2: a client with no authority sends an empty Host."""
    with Conn(system.api1) as c:
        c.send(b"GET /health HTTP/1.1\r\nHost:\r\n\r\n")
        assert c.read_response().status == 200


# --------------------------------------------------------------------------
# The whole stack, through nginx on the front port
# --------------------------------------------------------------------------

@pytest.mark.parametrize("te", ["gzip", "gzip, chunked"])
def test_te_smuggling_refused_through_nginx(system, te):
    apelido = uniq("ngx")
    n = count(system.port)
    with Conn(system.port) as c:
        c.send(("POST /pessoas HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Transfer-Encoding: %s\r\n\r\n" % te).encode() + smuggled_post(apelido))
        r = only_response(c)
        assert r.status == 501, r
    assert count(system.port) == n
    assert nobody_named(system.port, apelido)


def test_nginx_passes_host_to_the_apis(system):
    """nginx talks HTTP/1.1 to the APIs, which now need Host: what a client
    sends without one (HTTP/1.0) must still get through."""
    with Conn(system.port) as c:
        c.send(b"GET /contagem-pessoas HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200, r
