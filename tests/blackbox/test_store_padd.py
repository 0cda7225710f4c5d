"""Issue 11, "A store checks what it keeps": PADD straight to the primary's
socket, as `redis-cli -p 6380 PADD ...` would, must not make the APIs serve
arbitrary bytes. Only what an API would send is kept (person_check.h);
anything else gets "-ERR invalid person: <why>" and changes nothing: not
the count, not the journal, not the replicas."""
import re
import uuid

import pytest

from conftest import connect, count, get, resp_command, resp_encode, store_person, uniq

HOSTILE_ID = "11111111-2222-3333-4444-555555555555"


def journal_offset(system):
    """The primary's last journal seq, from INFO bardo (a bulk: read it
    whole), asked as the api user."""
    s = connect(system.store)
    try:
        s.sendall(resp_encode("AUTH", *system.user("api")) + resp_encode("INFO", "bardo"))
        data = b""
        while not re.match(rb"\$(\d+)\r\n", data) or \
                len(data) < data.index(b"\r\n") + 2 + int(data[1:data.index(b"\r\n")]):
            chunk = s.recv(65536)
            assert chunk, data
            data += chunk
            if data.startswith(b"+OK\r\n"):
                data = data[5:]
    finally:
        s.close()
    m = re.search(rb"journal_offset:(\d+)", data)
    assert m, data
    return int(m.group(1))


def good(pid, apelido):
    return store_person(pid, apelido)


def bad_padds():
    """(id, apelido, key, json, why) the store must refuse."""
    out = []
    pid = lambda: str(uuid.uuid4())  # noqa: E731
    i = pid()
    a, k, j = good(i, uniq("p"))
    out.append((HOSTILE_ID, "hacker", "hacker", '{"oops": <script>}', "json body"))
    out.append((i, a, k, '{"oops":"<script>"}', "json apelido is required"))
    out.append((i, a, k, j.replace('"nome":', '"nome": '), "not the API's rendering"))
    out.append((i, a, k, j[:-1] + ',"x":"<script>"}', "not the API's rendering"))
    out.append((i, a, k, j.replace(i, pid()), "not the API's rendering"))
    out.append((i, a + "x", k, j, "apelido is not the json's"))
    out.append((i, a, k + "x", j, "search key is not"))
    out.append((i.upper(), a, k, j.replace(i, i.upper()), "lower-case UUID"))
    long_a = "a" * 33
    out.append((i,) + good(i, long_a) + ("json apelido must have 1 to 32",))
    out.append((i, a, k, j.replace("2000-01-01", "2001-02-29"), "json nascimento"))
    out.append((i, a, k, j.replace('"stack":null', '"stack":[1]'), "json stack"))
    out.append((i, a, k, " " * 40000, "json longer than"))
    return out


@pytest.mark.parametrize("case", range(len(bad_padds())))
def test_store_refuses_what_no_api_would_send(port, system, case):
    pid, apelido, key, doc, why = bad_padds()[case]
    before, seq = count(port), journal_offset(system)
    reply = resp_command(system.store, "PADD", pid, apelido, key, doc, auth=system.user("api"))
    assert reply.startswith(b"-ERR invalid person: "), reply
    assert why.encode() in reply, (why, reply)
    assert count(port) == before
    assert journal_offset(system) == seq  # nothing journaled, so nothing replicated
    for store in system.stores:
        assert resp_command(store, "PGET", pid.lower(), auth=system.user("api")) == b"$-1\r\n", store
    assert get(port, "/pessoas/" + pid.lower()).status == 404


def test_store_still_takes_what_an_api_sends(port, system):
    pid = str(uuid.uuid4())
    apelido, key, doc = good(pid, uniq("p"))
    before = count(port)
    assert resp_command(system.store, "PADD", pid, apelido, key, doc, auth=system.user("api")) == b"+OK\r\n"
    assert count(port) == before + 1
    r = get(port, "/pessoas/" + pid)
    assert r.status == 200 and r.body == doc.encode(), r
