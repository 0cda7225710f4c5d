"""SPEC section 1 over real HTTP, through nginx."""
import json
import re
import urllib.parse
import uuid

import pytest

from conftest import UUID_RE, count, get, person, post, resp_command, uniq


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def create(port, body, prefix="pessoas"):
    """POSTs a valid person; returns (location, id)."""
    r = post(port, "/" + prefix, body)
    assert r.status == 201, (body, r)
    loc = r.header("Location")
    assert loc and re.fullmatch("/%s/%s" % (prefix, UUID_RE), loc), r
    return loc, loc.rsplit("/", 1)[1]


def check_errors(r, field=None):
    """An error body is {"errors":[{"field":..,"message":..},...]}."""
    ctype = r.header("Content-Type", "")
    assert ctype.startswith("application/json"), r
    doc = r.json()
    assert isinstance(doc, dict) and isinstance(doc.get("errors"), list) and doc["errors"], r
    for e in doc["errors"]:
        assert isinstance(e, dict), r
        assert "field" in e and "message" in e, r
        assert e["field"] is None or isinstance(e["field"], str), r
        assert isinstance(e["message"], str) and e["message"], r
    if field is not None:
        assert field in [e["field"] for e in doc["errors"]], (field, r)
    return doc


def reject(port, body, status, field=None, prefix="pessoas", raw=False):
    """POSTs a body that must be rejected with `status`; the count must not
    move. body is sent as is when raw (bytes/str), else as JSON."""
    before = count(port)
    if raw:
        payload = body if isinstance(body, bytes) else body.encode("utf-8")
    else:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    r = post(port, "/" + prefix, payload)
    assert r.status == status, (payload[:300], r)
    assert "Location" not in r.headers and "location" not in r.headers, r
    check_errors(r, field)
    assert count(port) == before, ("count moved after a rejected request", payload[:300])
    return r


def fetch(port, loc):
    r = get(port, loc)
    assert r.status == 200, (loc, r)
    assert r.header("Content-Type", "").startswith("application/json"), r
    return r.json()


def same_person(got, sent, pid):
    assert got["id"] == pid
    for k in ("apelido", "nome", "nascimento"):
        assert got[k] == sent[k], (k, got, sent)
    assert got.get("stack") == sent.get("stack"), (got, sent)


def search(port, term_raw, prefix="pessoas"):
    """term_raw goes into the URL as is (already encoded)."""
    r = get(port, "/%s?t=%s" % (prefix, term_raw))
    assert r.status == 200, (term_raw, r)
    assert r.header("Content-Type", "").startswith("application/json"), r
    res = r.json()
    assert isinstance(res, list) and len(res) <= 50, r
    return res


# --------------------------------------------------------------------------
# creation and read-back
# --------------------------------------------------------------------------

def test_spec_examples_created_and_read_back(port):
    examples = [
        {"apelido": "josé", "nome": "José Roberto", "nascimento": "2000-10-01",
         "stack": ["C#", "Node", "Oracle"]},
        {"apelido": "ana", "nome": "Ana Barbosa", "nascimento": "1985-09-23", "stack": None},
    ]
    before = count(port)
    for body in examples:
        loc, pid = create(port, body)
        same_person(fetch(port, loc), body, pid)
    assert count(port) == before + 2


def test_bards_alias_location_and_shared_store(port):
    body = person()
    r = post(port, "/bards", body)
    assert r.status == 201, r
    loc = r.header("Location")
    assert re.fullmatch("/bards/" + UUID_RE, loc), r
    pid = loc.rsplit("/", 1)[1]
    same_person(fetch(port, loc), body, pid)
    same_person(fetch(port, "/pessoas/" + pid), body, pid)
    loc2, pid2 = create(port, person())
    fetch(port, "/bards/" + pid2)
    # one store: an apelido taken under one prefix is taken under the other
    reject(port, dict(person(), apelido=body["apelido"]), 422, "apelido", prefix="pessoas")
    reject(port, dict(person(), apelido=body["apelido"]), 422, "apelido", prefix="bards")


def test_ids_are_distinct_uuids(port):
    ids = {create(port, person())[1] for _ in range(20)}
    assert len(ids) == 20


def test_count_plain_text_exact_and_alias_equal(port):
    r = get(port, "/contagem-pessoas")
    assert 200 <= r.status < 300, r
    assert r.header("Content-Type", "").startswith("text/plain"), r
    assert re.fullmatch(rb"\d+\n?", r.body), r
    n0 = count(port)
    assert count(port, "bards") == n0
    for _ in range(7):
        create(port, person())
    create(port, person(), prefix="bards")
    assert count(port) == n0 + 8
    assert count(port, "bards") == n0 + 8


def test_count_matches_store(port, system):
    n = count(port)
    reply = resp_command(system.store, "PCOUNT", auth=system.user("api"))
    assert reply == b":%d\r\n" % n, reply


# --------------------------------------------------------------------------
# 422: semantically invalid
# --------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["apelido", "nome"])
def test_422_required_null(port, field):
    reject(port, person(**{field: None}), 422, field)


@pytest.mark.parametrize("field", ["apelido", "nome"])
def test_422_required_missing(port, field):
    body = person()
    del body[field]
    reject(port, body, 422, field)


def test_nascimento_null_or_missing_rejected(port):
    field = "nascimento"
    # SPEC: required; it does not say 400 or 422 for null/missing.
    for body in (person(nascimento=None), {k: v for k, v in person().items() if k != field}):
        before = count(port)
        r = post(port, "/pessoas", body)
        assert r.status in (400, 422), (body, r)
        check_errors(r, field)
        assert count(port) == before


@pytest.mark.parametrize("apelido", [
    "a" * 33,
    "é" * 33,                 # 33 code points, 66 bytes
    "😀" * 33,                # 33 code points, 132 bytes
    "",
], ids=["ascii33", "accent33", "emoji33", "empty"])
def test_422_apelido_length(port, apelido):
    reject(port, person(apelido=apelido), 422, "apelido")


@pytest.mark.parametrize("nome", ["n" * 101, "ç" * 101, "𝄞" * 101, ""],
                         ids=["ascii101", "accent101", "astral101", "empty"])
def test_422_nome_length(port, nome):
    reject(port, person(nome=nome), 422, "nome")


def test_422_duplicate_apelido(port):
    body = person()
    create(port, body)
    reject(port, dict(person(), apelido=body["apelido"]), 422, "apelido")
    # the same body again, too
    reject(port, body, 422, "apelido")


@pytest.mark.parametrize("stack", [
    ["ok", "x" * 33],
    ["ã" * 33],
    [""],
    ["Python", ""],
], ids=["ascii33", "accent33", "empty", "empty-second"])
def test_422_stack_element(port, stack):
    reject(port, person(stack=stack), 422, "stack")


def test_duplicate_rejected_even_with_other_errors_absent(port):
    """A rejected (invalid) person must not reserve its apelido."""
    ap = uniq("r")
    reject(port, person(apelido=ap, nome=""), 422, "nome")
    reject(port, person(apelido=ap, nascimento="2021-02-29"), 400, "nascimento")
    create(port, person(apelido=ap))


# --------------------------------------------------------------------------
# 400: syntactically invalid
# --------------------------------------------------------------------------

@pytest.mark.parametrize("over,field", [
    ({"nome": 1}, "nome"),
    ({"nome": True}, "nome"),
    ({"nome": ["a"]}, "nome"),
    ({"nome": {"a": 1}}, "nome"),
    ({"apelido": 1}, "apelido"),
    ({"apelido": False}, "apelido"),
    ({"apelido": ["x"]}, "apelido"),
    ({"nascimento": 20000101}, "nascimento"),
    ({"nascimento": ["2000-01-01"]}, "nascimento"),
    ({"stack": [1, "PHP"]}, "stack"),
    ({"stack": ["PHP", 1]}, "stack"),
    ({"stack": ["PHP", None]}, "stack"),
    ({"stack": [["PHP"]]}, "stack"),
    ({"stack": [{"a": "b"}]}, "stack"),
    ({"stack": "string"}, "stack"),
    ({"stack": 1}, "stack"),
    ({"stack": True}, "stack"),
    ({"stack": {"0": "PHP"}}, "stack"),
], ids=lambda v: json.dumps(v) if isinstance(v, dict) else v)
def test_400_wrong_type(port, over, field):
    reject(port, person(**over), 400, field)


@pytest.mark.parametrize("date", [
    "2021-02-29", "1900-02-29", "2100-02-29", "2000-13-01", "2000-00-10", "2000-01-00",
    "2000-01-32", "2000-04-31", "2000-06-31", "2000-09-31", "2000-11-31",
    "12-12-2000", "2000/01/01", "2000-1-01", "2000-01-1", "20000-01-01", "200-01-01",
    " 2000-01-01", "2000-01-01 ", "2000-01-01T00:00:00", "", "aaaa-mm-dd", "2000-0a-01",
    "+200-01-01", "2000-+1-01", "٢٠٠٠-٠١-٠١",
])
def test_400_invalid_nascimento(port, date):
    reject(port, person(nascimento=date), 400, "nascimento")


@pytest.mark.parametrize("body", [
    "[]", '["apelido"]', '"apelido"', "1", "null", "true", "false", "3.5",
], ids=lambda b: b)
def test_400_not_an_object(port, body):
    reject(port, body, 400, raw=True)


@pytest.mark.parametrize("body", [
    "",
    "   ",
    "{",
    "}",
    '{"apelido":}',
    '{"apelido":"a" "nome":"b"}',
    '{"apelido":"a",}',
    '{"apelido":"a","nome":"b","nascimento":"2000-01-01","stack":["a",]}',
    "{'apelido':'a'}",
    '{apelido:"a"}',
    '{"apelido":"unterminated}',
    '{"apelido":"bad \\x escape","nome":"b","nascimento":"2000-01-01"}',
    '{"apelido":"lone \\ud800 surrogate","nome":"b","nascimento":"2000-01-01"}',
    '{"apelido":"raw\ncontrol","nome":"b","nascimento":"2000-01-01"}',
    '{"apelido":"a","nome":"b","nascimento":"2000-01-01","stack":null,"x":01}',
    '{"apelido":"a","nome":"b","nascimento":"2000-01-01","x":NaN}',
    '{"apelido":"a","nome":"b","nascimento":"2000-01-01","x":tru}',
    '{"apelido":"a","nome":"b","nascimento":"2000-01-01","stack":["a"}',
], ids=lambda b: b[:40])
def test_400_malformed_json(port, body):
    reject(port, body, 400, raw=True)


def test_400_invalid_utf8(port):
    body = ('{"apelido":"%s","nome":"' % uniq("u")).encode() + b"\xc3\x28 \xff" + \
        b'","nascimento":"2000-01-01"}'
    reject(port, body, 400, raw=True)


@pytest.mark.parametrize("tail", [" x", "{}", ",", '{"a":1}', "]", "null", "\x00"],
                         ids=lambda t: repr(t))
def test_400_trailing_garbage(port, tail):
    body = json.dumps(person(), ensure_ascii=False) + tail
    reject(port, body, 400, raw=True)


# --------------------------------------------------------------------------
# valid edge cases
# --------------------------------------------------------------------------

@pytest.mark.parametrize("date", ["2000-02-29", "2024-02-29", "1600-02-29", "1900-02-28",
                                  "2000-12-31", "2000-01-01", "2021-04-30", "1999-08-31"])
def test_valid_dates(port, date):
    body = person(nascimento=date)
    loc, pid = create(port, body)
    same_person(fetch(port, loc), body, pid)


def test_max_lengths_in_code_points(port):
    tok = uniq("", 8)
    cases = [
        person(apelido=tok + "é" * 24),                       # 32 cp, 56 bytes
        person(apelido=tok + "😀" * 24),                      # 32 cp, 104 bytes
        person(apelido=("a" * 24) + tok),                     # 32 ASCII
        person(nome="ñ" * 100),
        person(nome="𝄞" * 100),
        person(stack=["ü" * 32, "😀" * 32, "x" * 32, "a"]),
        person(apelido=tok + "A", nome="B"),                  # 1-character nome
    ]
    for body in cases:
        loc, pid = create(port, body)
        same_person(fetch(port, loc), body, pid)


def test_unicode_escapes_and_surrogate_pairs(port):
    tok = uniq("", 10)
    raw = ('{"apelido":"\\u006a\\u006F\\u0073\\u00e9%s","nome":"\\ud83d\\ude00 Smile \\u00C7\\u00e3o",'
           '"nascimento":"\\u0032000-01-15","stack":["\\u004a\\u0061va","\\uD834\\uDD1E"]}') % tok
    r = post(port, "/pessoas", raw)
    assert r.status == 201, r
    got = fetch(port, r.header("Location"))
    assert got["apelido"] == "josé" + tok
    assert got["nome"] == "😀 Smile Ção"
    assert got["nascimento"] == "2000-01-15"
    assert got["stack"] == ["Java", "𝄞"]
    # 32 astral code points written as 32 surrogate pairs: still 32 characters
    ap = "\\ud83d\\ude00" * 22 + uniq("", 10)
    r = post(port, "/pessoas", '{"apelido":"%s","nome":"x","nascimento":"2000-01-01"}' % ap)
    assert r.status == 201, r
    assert fetch(port, r.header("Location"))["apelido"] == json.loads('"%s"' % ap)
    ap33 = "\\ud83d\\ude00" * 23 + uniq("", 10)
    reject(port, '{"apelido":"%s","nome":"x","nascimento":"2000-01-01"}' % ap33, 422, "apelido",
           raw=True)


def test_whitespace_everywhere(port):
    ap = uniq("w")
    raw = (' \r\n\t{ \n"apelido"\t:\r\n "%s" ,\n "nome" : "Espaço  Interno " , "nascimento"'
           '  :  "1970-01-01"  , "stack" : [ "a" , \n "b c" ] \t}\r\n \n') % ap
    r = post(port, "/pessoas", raw)
    assert r.status == 201, r
    got = fetch(port, r.header("Location"))
    assert got["apelido"] == ap and got["nome"] == "Espaço  Interno "
    assert got["stack"] == ["a", "b c"]


def test_unknown_fields_of_every_type_ignored(port):
    body = person()
    extra = {"x_null": None, "x_true": True, "x_false": False, "x_int": -0, "x_num": -1.5e+30,
             "x_str": "s\"\\\u00e9", "x_arr": [1, "a", None, [2, {"b": []}]],
             "x_obj": {"a": {"b": [True, {}]}, "c": "d"}, "id": "not-an-id", "": 1,
             "APELIDO": 5, "Nome": [], "stack_": 1}
    raw = json.dumps(dict(body, **extra), ensure_ascii=False)
    r = post(port, "/pessoas", raw)
    assert r.status == 201, r
    loc = r.header("Location")
    got = fetch(port, loc)
    same_person(got, body, loc.rsplit("/", 1)[1])
    assert set(got) <= {"id", "apelido", "nome", "nascimento", "stack"}, got


def test_unknown_fields_before_known(port):
    body = person()
    raw = '{"z":[{"apelido":1}],"apelido":%s,"q":{"nome":null},"nome":%s,"nascimento":%s}' % (
        json.dumps(body["apelido"]), json.dumps(body["nome"]), json.dumps(body["nascimento"]))
    r = post(port, "/pessoas", raw)
    assert r.status == 201, r
    assert fetch(port, r.header("Location"))["stack"] is None


def test_stack_null_absent_empty(port):
    b_null = person(stack=None)
    loc, _ = create(port, b_null)
    assert fetch(port, loc)["stack"] is None
    b_absent = person()
    del b_absent["stack"]
    loc, _ = create(port, b_absent)
    got = fetch(port, loc)
    assert got.get("stack") is None, got
    b_empty = person(stack=[])
    loc, _ = create(port, b_empty)
    assert fetch(port, loc)["stack"] == []


def test_output_escaping_round_trip(port):
    nasty = 'a"b\\c/d\b\f\n\r\t\x01\x1f\x7f é 😀 𝄞 </script> \u2028\u2029 \'q\' {"j":1}'
    body = person(nome=nasty[:100], stack=['"', "\\", "\n", "x\x1b", "😀"])
    raw = json.dumps(body, ensure_ascii=True)   # everything escaped on the way in
    r = post(port, "/pessoas", raw)
    assert r.status == 201, r
    loc = r.header("Location")
    got = fetch(port, loc)
    same_person(got, body, loc.rsplit("/", 1)[1])
    # and raw UTF-8 in, too
    body2 = person(nome=nasty[:100])
    loc2, pid2 = create(port, body2)
    same_person(fetch(port, loc2), body2, pid2)
    # the search output escapes the same way
    res = [p for p in search(port, urllib.parse.quote(body2["apelido"])) if p["id"] == pid2]
    assert res, "search did not find " + pid2
    same_person(res[0], body2, pid2)


def test_apelido_with_quotes_and_backslashes_is_unique(port):
    ap = 'q"\\' + uniq("", 8) + "\\\""
    create(port, person(apelido=ap))
    reject(port, person(apelido=ap), 422, "apelido")


# --------------------------------------------------------------------------
# GET by id
# --------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/pessoas/" + str(uuid.uuid4()),
    "/bards/" + str(uuid.uuid4()),
    "/pessoas/abc",
    "/pessoas/1",
    "/pessoas/" + "x" * 36,
    "/pessoas/" + str(uuid.uuid4()) + "0",
    "/pessoas/" + str(uuid.uuid4())[:-1],
    "/pessoas/" + str(uuid.uuid4()).replace("-", ""),
    "/pessoas/%20",
    "/pessoas/" + "z" * 300,
    "/pessoas/00000000-0000-0000-0000-000000000000",
    "/pessoas/" + str(uuid.uuid4()) + "/x",
], ids=lambda p: p[:60])
def test_404_unknown_or_malformed_id(port, path):
    r = get(port, path)
    assert r.status == 404, (path, r)


def test_get_after_create_on_every_request(port):
    """Twenty creates, each read back at once (lands on both instances)."""
    for _ in range(20):
        body = person()
        loc, pid = create(port, body)
        same_person(fetch(port, loc), body, pid)


# --------------------------------------------------------------------------
# search
# --------------------------------------------------------------------------

def test_search_requires_t(port):
    for path in ("/pessoas", "/pessoas?", "/pessoas?x=1", "/pessoas?tt=1", "/pessoas?T=a",
                 "/bards", "/bards?q=a"):
        before = count(port)
        r = get(port, path)
        assert r.status == 400, (path, r)
        check_errors(r)
        assert count(port) == before


def test_search_empty_term(port):
    create(port, person())
    for path in ("/pessoas?t=", "/bards?t=", "/pessoas?x=1&t="):
        r = get(port, path)
        assert r.status == 200, r
        res = r.json()
        assert isinstance(res, list) and 1 <= len(res) <= 50, r


def test_search_each_field_case_insensitive(port):
    tok = uniq("", 10)
    body = person(apelido="ApX" + tok, nome="Maria NmY%s Souza" % tok, stack=["Go", "StZ" + tok])
    _, pid = create(port, body)
    for term in ("apx" + tok, "APX" + tok.upper(), "nmy" + tok, "NmY" + tok.upper(),
                 "stz" + tok, "STZ" + tok.upper(), tok, tok.upper(), "MARIA NMY" + tok):
        res = search(port, urllib.parse.quote(term))
        assert [p["id"] for p in res] == [pid], (term, res)
        same_person(res[0], body, pid)
    assert [p["id"] for p in search(port, tok, "bards")] == [pid]


def test_search_plus_and_percent20_are_spaces(port):
    tok = uniq("", 10)
    _, pid = create(port, person(nome="Fulano de Tal%s" % tok))
    for raw in ("o+de+tal" + tok, "o%20de%20tal" + tok, "O+DE%20TAL" + tok, "de+Tal" + tok):
        assert [p["id"] for p in search(port, raw)] == [pid], raw
    # a space is a character like any other: "fulanode" must not match
    assert search(port, "fulanode+tal" + tok) == []


def test_search_utf8_escapes(port):
    tok = uniq("", 10)
    _, pid = create(port, person(nome="José %s Conceição" % tok, stack=["Ñandú" + tok]))
    for raw in ("Jos%C3%A9+" + tok, "JOS%C3%89+" + tok, "jos%c3%a9+" + tok,
                tok + "+concei%C3%A7%C3%A3o", tok + "+CONCEI%C3%87%C3%83O",
                "%C3%B1and%C3%BA" + tok, "%C3%91AND%C3%9A" + tok):
        assert [p["id"] for p in search(port, raw)] == [pid], raw


def test_search_at_most_50(port):
    tok = uniq("m", 10)
    ids = {create(port, person(nome="Lote %s %03d" % (tok, i)))[1] for i in range(60)}
    res = search(port, tok)
    assert len(res) == 50, len(res)
    assert len({p["id"] for p in res}) == 50
    assert {p["id"] for p in res} <= ids
    # the empty term matches everybody: also capped
    assert len(search(port, "")) == 50


def test_search_no_match_is_empty_list(port):
    r = get(port, "/pessoas?t=" + uniq("nomatch", 20))
    assert r.status == 200 and r.json() == [], r
    assert search(port, "%F0%9F%A6%84" + uniq("", 16)) == []


def test_search_no_cross_field_match(port):
    tok = uniq("", 10)
    _, pid = create(port, person(apelido="ca" + tok, nome="cbnome" + tok, stack=["cc" + tok, "cdfim"]))
    assert [p["id"] for p in search(port, tok)] == [pid]
    for term in (tok + "cbnome",      # apelido's end + nome's start
                 tok + "cc",          # nome's end + first stack element
                 tok + "cdfim",       # one stack element into the next
                 tok + "+cbnome",     # with a space as the separator
                 tok + "%00cbnome"):  # with a NUL as the separator
        r = get(port, "/pessoas?t=" + term)
        assert r.status in (200, 400), r
        if r.status == 200:
            assert r.json() == [], (term, r)


def test_search_results_are_full_people(port):
    tok = uniq("", 10)
    sent = {}
    for i in range(3):
        b = person(nome="Full %s %d" % (tok, i), stack=None if i == 0 else ["S%d" % i])
        sent[create(port, b)[1]] = b
    res = search(port, tok)
    assert len(res) == 3
    for p in res:
        same_person(p, sent[p["id"]], p["id"])


def test_search_bad_escape_is_an_error_not_a_crash(port):
    for raw in ("%", "%zz", "%C3", "%FF%FE"):
        r = get(port, "/pessoas?t=" + raw)
        assert r.status in (200, 400), (raw, r)
    assert get(port, "/health").status == 200


# --------------------------------------------------------------------------
# rejected requests never move the count
# --------------------------------------------------------------------------

def test_count_unchanged_after_every_kind_of_rejection(port):
    before = count(port)
    dup = person()
    create(port, dup)
    before += 1
    bodies = [person(apelido=None), person(nome=None), person(apelido="x" * 33),
              person(stack=[""]), person(nome=1), person(stack="s"),
              person(nascimento="2021-02-29"), dup, dict(person(), apelido=dup["apelido"])]
    for b in bodies:
        r = post(port, "/pessoas", b)
        assert r.status in (400, 422), (b, r)
    for raw in ("[]", "{", "", '{"a":1} x'):
        assert post(port, "/pessoas", raw).status == 400
    assert count(port) == before
    assert count(port, "bards") == before
