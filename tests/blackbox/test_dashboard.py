"""The live dashboard page (GET / and /dashboard, docs/DASHBOARD.md): what
the API sends, through nginx and straight to each instance. What the page
draws is checked in a real browser by tests/browser/ (the `browser` step)."""
import re
import threading

import pytest

from conftest import Conn, count, get, person, post, request

PATHS = ("/", "/dashboard")
MAX_BYTES = 20 * 1024


def targets(system):
    return [("nginx", system.port), ("api-1", system.api1), ("api-2", system.api2)]


@pytest.fixture(scope="module")
def page(system):
    r = get(system.port, "/")
    assert r.status == 200, r
    return r


@pytest.mark.parametrize("path", PATHS)
def test_served_everywhere_same_bytes(system, page, path):
    for name, target in targets(system):
        r = get(target, path)
        assert r.status == 200, (name, path, r)
        assert r.header("Content-Type") == "text/html; charset=utf-8", (name, r)
        assert r.body == page.body, (name, path)
        assert int(r.header("Content-Length")) == len(r.body)
        assert "max-age" in r.header("Cache-Control", ""), (name, r)


def test_small_html_document(page):
    assert 2000 < len(page.body) <= MAX_BYTES, len(page.body)
    text = page.text
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert text.rstrip().endswith("</html>")
    for needle in ("/status", "/metrics", "<svg", "<script>"):
        assert needle in text, needle


def test_self_contained(page):
    """No script, style, font or image from anywhere else."""
    text = page.text
    assert not re.search(r"https?:", text), re.search(r".{40}https?:.{40}", text)
    assert not re.search(r"""["'(]\s*//""", text), "protocol-relative reference"
    assert not re.search(r"<script[^>]*\bsrc\s*=", text, re.I)
    assert not re.search(r"<link[^>]*\bstylesheet", text, re.I)
    assert not re.search(r"@import|@font-face|url\(", text, re.I)
    for m in re.finditer(r"""\b(?:src|href)\s*=\s*["']([^"']*)""", text, re.I):
        assert m.group(1).startswith(("data:", "#")), m.group(0)


@pytest.mark.parametrize("path", PATHS)
def test_head_same_headers_no_body(system, page, path):
    for name, target in targets(system):
        with Conn(target) as c:
            r = c.request("HEAD", path)
            assert r.status == 200, (name, r)
            assert int(r.header("Content-Length")) == len(page.body), (name, r)
            assert r.header("Content-Type") == "text/html; charset=utf-8"
            # no body bytes followed: the next response on the connection is intact
            r2 = c.request("GET", "/health")
            assert r2.status == 200 and r2.json() == {"status": "ok"}, (name, r2)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", PATHS)
def test_other_methods_405(system, method, path):
    for name, target in targets(system):
        r = request(target, method, path, body=b"{}" if method != "DELETE" else None)
        assert r.status == 405, (name, method, path, r)
        assert {m.strip() for m in r.header("Allow", "").split(",")} == {"GET", "HEAD"}, r


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard.html", "/index.html", "//"])
def test_near_paths_404(system, path):
    assert get(system.api1, path).status == 404, path  # nginx would merge "//"


def test_counted_in_metrics(system):
    def served(text):
        m = re.search(r'^bardo_http_requests_total\{endpoint="dashboard",code="200"\} (\d+)$', text, re.M)
        return int(m.group(1)) if m else 0
    before = served(get(system.api1, "/metrics").text)
    for _ in range(3):
        assert get(system.api1, "/").status == 200
    assert served(get(system.api1, "/metrics").text) == before + 3


def test_people_served_while_dashboard_polled(system):
    """Page loads and its polls (/status, /metrics) beside people traffic:
    every people request still gets its normal answer."""
    stop = threading.Event()
    errors = []

    def poller():
        while not stop.is_set():
            for path in ("/", "/status", "/metrics"):
                r = get(system.port, path)
                if r.status != 200:
                    errors.append((path, r.status))

    threads = [threading.Thread(target=poller) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        n = count(system.port)
        made = 0
        for _ in range(60):
            r = post(system.port, "/pessoas", person())
            assert r.status == 201, r
            assert get(system.port, r.header("Location")).status == 200
            assert get(system.port, "/pessoas?t=Nome").status == 200
            made += 1
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert not errors, errors[:5]
    assert count(system.port) == n + made
