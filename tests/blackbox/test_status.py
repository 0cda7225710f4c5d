"""Self-knowledge on the real processes: GET /status is JSON with every key
present (null when unknown), GET /metrics is valid Prometheus text, and
/health (with /status and /metrics) tells when the store is gone."""
import json
import math
import os
import re
import signal
import time

import pytest

from conftest import System, count, get, person, post, request

# Every key /status always has ("a/b": key b inside object a; "[]": each
# element of an array). Values may be null; the keys may not be missing.
EVERY_KEY = [
    "program/name", "program/role", "program/instance", "program/version", "program/build_date",
    "program/compiler", "program/cflags", "program/pid", "program/uptime_seconds",
    "program/requests_total",
    "host/hostname", "host/os", "host/kernel", "host/architecture",
    "cloud/cloud.provider", "cloud/cloud.platform", "cloud/cloud.region",
    "cloud/cloud.availability_zone", "cloud/site", "cloud/source",
    "cpu/cpu", "cpu/vendor", "cpu/packages", "cpu/cores/physical", "cpu/cores/logical",
    "cpu/cores/online", "cpu/frequency_hertz/current", "cpu/frequency_hertz/base",
    "cpu/frequency_hertz/max", "cpu/temperature_celsius", "cpu/power_watts/measured",
    "cpu/power_watts/nominal", "cpu/gflops/value", "cpu/gflops/source", "cpu/gflops/method",
    "cpu/gflops_per_watt/value", "cpu/gflops_per_watt/source",
    "sensors", "power_zones", "gpu/driver", "gpu/count", "gpu/gpus",
    "memory/bytes/total", "memory/bytes/available", "memory/bytes/used", "memory/bytes/free",
    "memory/swap_bytes/total", "memory/cgroup_limit_bytes",
    "storage", "network", "cluster/stores",
    "cluster/stores[]/address", "cluster/stores[]/reachable", "cluster/stores[]/site",
    "cluster/stores[]/role", "cluster/stores[]/epoch", "cluster/stores[]/journal_offset",
    "cluster/stores[]/lag", "cluster/stores[]/name", "cluster/stores[]/people",
    "cluster/primary", "cluster/failovers",
    "probes/age_seconds", "probes/refresh_seconds",
]
ELEMENT_KEYS = {
    "sensors": ["source", "device", "chip", "label", "temperature_celsius", "critical_celsius"],
    "power_zones": ["zone", "name", "energy_joules", "power_watts"],
    "storage": ["mountpoint", "device", "filesystem", "bytes"],
    "network": ["interface", "receive_bytes", "transmit_bytes", "receive_bytes_per_second",
                "transmit_bytes_per_second"],
}


def key_paths(value, prefix=""):
    """Every key path of a JSON document (see EVERY_KEY)."""
    paths = set()
    if isinstance(value, dict):
        for k, v in value.items():
            p = prefix + "/" + k if prefix else k
            paths.add(p)
            paths |= key_paths(v, p)
    elif isinstance(value, list):
        for v in value:
            paths |= key_paths(v, prefix + "[]")
    return paths


def status(target):
    r = get(target, "/status")
    assert r.status == 200, r
    assert r.header("Content-Type", "").startswith("application/json"), r
    return r.json()


def labelled_figures(doc):
    """(path, source) of every {"value": ..., "source": ...} figure."""
    out = []

    def walk(v, path):
        if isinstance(v, dict):
            if "value" in v and "source" in v:
                out.append((path, v["source"]))
            for k, x in v.items():
                walk(x, path + "/" + k)
        elif isinstance(v, list):
            for x in v:
                walk(x, path + "[]")
    walk(doc, "")
    return out


# --------------------------------------------------------------------------
# A Prometheus text-format (0.0.4) parser that refuses what Prometheus would
# --------------------------------------------------------------------------

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_value(text):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    assert re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text), "bad value %r" % text
    return float(text)


def parse_labels(text, pos):
    """text[pos] is '{'; returns (labels, position after '}')."""
    labels = {}
    pos += 1
    while True:
        if text[pos] == "}":
            return labels, pos + 1
        m = LABEL_NAME.match(text, pos)
        assert m, "bad label name at %r" % text[pos:]
        name = m.group(0)
        pos = m.end()
        assert text[pos:pos + 2] == '="', "expected =\" at %r" % text[pos:]
        pos += 2
        value = []
        while text[pos] != '"':
            if text[pos] == "\\":
                esc = text[pos + 1]
                assert esc in '\\"n', "bad escape \\%s" % esc
                value.append("\n" if esc == "n" else esc)
                pos += 2
            else:
                value.append(text[pos])
                pos += 1
        pos += 1
        assert name not in labels, "label %s twice" % name
        labels[name] = "".join(value)
        if text[pos] == ",":
            pos += 1
        else:
            assert text[pos] == "}", "expected , or } at %r" % text[pos:]


def family_of(name, families):
    if name in families:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and families.get(base, {}).get("type") in ("histogram", "summary"):
            return base
    raise AssertionError("sample %s has no # TYPE before it" % name)


def parse_sample(line, families, seen):
    m = METRIC_NAME.match(line)
    assert m, "bad sample line %r" % line
    name, pos, labels = m.group(0), m.end(), {}
    if line[pos:pos + 1] == "{":
        labels, pos = parse_labels(line, pos)
    assert line[pos:pos + 1] == " ", "expected a space in %r" % line
    parts = line[pos + 1:].split(" ")
    assert 1 <= len(parts) <= 2, "bad sample line %r" % line
    value = parse_value(parts[0])
    if len(parts) == 2:
        assert re.fullmatch(r"-?\d+", parts[1]), "bad timestamp in %r" % line
    key = (name, tuple(sorted(labels.items())))
    assert key not in seen, "series twice: %r" % line
    seen.add(key)
    families[family_of(name, families)]["samples"].append((name, labels, value))


def parse_prometheus(text):
    """{family: {"type", "help", "samples": [(name, labels, value)]}}."""
    assert text.endswith("\n"), "the text must end with a newline"
    families, seen = {}, set()
    for line in text.split("\n")[:-1]:
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            kind, name, rest = line[2:6], *(line[7:].split(" ", 1) + [""])[:2]
            assert METRIC_NAME.fullmatch(name), "bad name in %r" % line
            fam = families.setdefault(name, {"type": None, "help": None, "samples": []})
            assert not fam["samples"], "%s after samples: %r" % (kind, line)
            field = "help" if kind == "HELP" else "type"
            assert fam[field] is None, "second %s for %s" % (kind, name)
            assert field == "help" or rest in TYPES, "bad type in %r" % line
            fam[field] = rest
        elif line.startswith("#") or not line.strip():
            continue
        else:
            parse_sample(line, families, seen)
    for name, fam in families.items():
        if fam["type"] == "histogram":
            check_histogram(name, fam["samples"])
    return families


def check_histogram(name, samples):
    series = {}
    for sname, labels, value in samples:
        key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        s = series.setdefault(key, {"buckets": [], "count": None, "sum": None})
        if sname == name + "_bucket":
            s["buckets"].append((parse_value(labels["le"]), value))
        elif sname == name + "_count":
            s["count"] = value
        elif sname == name + "_sum":
            s["sum"] = value
    for key, s in series.items():
        les = [le for le, _ in s["buckets"]]
        assert les == sorted(les) and les[-1] == math.inf, "%s%r: bad le order" % (name, key)
        counts = [c for _, c in s["buckets"]]
        assert counts == sorted(counts), "%s%r: buckets not cumulative" % (name, key)
        assert s["count"] == counts[-1] and s["sum"] is not None, "%s%r: count/sum" % (name, key)


def sample(families, family, name=None, **labels):
    for sname, slabels, value in families[family]["samples"]:
        if sname == (name or family) and all(slabels.get(k) == v for k, v in labels.items()):
            return value
    return None


def samples(families, family):
    return [value for _, _, value in families[family]["samples"]]


def test_prometheus_parser_rejects_bad_text():
    good = "# HELP a x\n# TYPE a gauge\na{b=\"c\\\"d\"} 1.5\n"
    assert sample(parse_prometheus(good), "a", b='c"d') == 1.5
    for bad in ("a 1\n", "# TYPE a gauge\na{b=c} 1\n", "# TYPE a gauge\na 1 2 3\n",
                "# TYPE a gauge\na x\n", "# TYPE a gauge\na 1\na 2\n", "# TYPE a gauge\na 1",
                "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                "h_count 1\nh_sum 0\n"):
        with pytest.raises(AssertionError):
            parse_prometheus(bad)


# --------------------------------------------------------------------------
# /status
# --------------------------------------------------------------------------

def test_status_has_every_key(system):
    for target, instance in ((system.api1, "api-1"), (system.api2, "api-2"), (system.port, None)):
        doc = status(target)
        paths = key_paths(doc)
        missing = [k for k in EVERY_KEY if k not in paths]
        assert not missing, "missing keys %s in %s" % (missing, json.dumps(doc)[:2000])
        for array, keys in ELEMENT_KEYS.items():
            for element in doc[array]:
                assert set(keys) <= set(element), (array, element)
        assert doc["program"]["name"] == "bardo-api"
        assert instance is None or doc["program"]["instance"] == instance
        assert isinstance(doc["program"]["version"], str) and doc["program"]["version"]
        assert isinstance(doc["program"]["pid"], int)


def test_status_labels_every_figure(system):
    doc = status(system.api1)
    figures = labelled_figures(doc)
    assert ("/cpu/gflops", "measured") in figures
    assert all(src in ("measured", "nominal") for _, src in figures), figures
    assert set(doc["cpu"]["power_watts"]) == {"measured", "nominal"}
    for zone in doc["power_zones"]:
        assert set(zone["power_watts"]) == {"measured", "nominal"}


def meminfo_total():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return None


def test_status_reports_this_host(system):
    """The real CPU, memory, disk and network of the machine the tests run on
    (skipped against a remote target)."""
    if os.environ.get("BARDO_TARGET_URL"):
        pytest.skip("the target may run elsewhere")
    doc = status(system.api1)
    with open("/proc/cpuinfo") as f:
        logical = sum(1 for line in f if line.startswith("processor"))
    assert doc["cpu"]["cores"]["logical"] == logical
    assert doc["memory"]["bytes"]["total"] == meminfo_total()
    assert doc["host"]["hostname"] == open("/proc/sys/kernel/hostname").read().strip()
    names = {n["interface"] for n in doc["network"]}
    assert "lo" in names
    assert any(m["mountpoint"] == "/" for m in doc["storage"]) or not doc["storage"]
    assert doc["cpu"]["gflops"]["value"] is None or doc["cpu"]["gflops"]["value"] > 0


def test_status_cluster_sees_the_store_and_its_count(system, port):
    """The people count comes from the store's INFO, polled every 2 s."""
    assert post(port, "/pessoas", person()).status == 201
    want = count(port)
    deadline = time.monotonic() + 6
    while True:
        stores = status(system.api1)["cluster"]["stores"]
        if max(st["people"] or 0 for st in stores) >= want:
            break
        assert time.monotonic() < deadline, stores
        time.sleep(0.2)
    assert any(st["reachable"] is True for st in stores), stores
    assert all(isinstance(st["address"], str) for st in stores), stores


ROLES = ["primary", "replica", "replica"]


def settled_cluster(target, seq=0, timeout=6.0):
    """The cluster section once every store node answers ROLE with the roles
    up.sh gave them, holds journal entry `seq` and is not behind (None if
    that never happens)."""
    def settled():
        c = status(target)["cluster"]
        st = c["stores"]
        ok = [x["role"] for x in st] == ROLES and all(
            x["lag"] == 0 and x["journal_offset"] >= seq for x in st)
        return c if ok else None
    return wait_for(settled, timeout)


def primary_seq(target):
    """The primary's last journal seq as the API last saw it."""
    c = settled_cluster(target)
    assert c, status(target)["cluster"]
    return c["stores"][0]["journal_offset"]


def test_status_cluster_lists_every_store_node(system, port):
    """One entry per store node the API was given (scripts/up.sh: store-a the
    primary, store-b and store-c its replicas), from its ROLE polls."""
    seq = primary_seq(system.api1)
    for _ in range(3):
        assert post(port, "/pessoas", person()).status == 201
    cluster = settled_cluster(system.api1, seq + 3)
    assert cluster, status(system.api1)["cluster"]
    stores = cluster["stores"]
    assert [x["name"] for x in stores] == ["store-a", "store-b", "store-c"], stores
    assert [x["site"] for x in stores] == ["site-a", "site-b", "site-c"], stores
    assert all(x["reachable"] is True for x in stores), stores
    if not os.environ.get("BARDO_TARGET_URL"):
        assert [x["address"] for x in stores] == system.stores, stores
    assert cluster["primary"] == stores[0]["address"]
    assert isinstance(cluster["failovers"], int)
    epochs = {x["epoch"] for x in stores}
    assert len(epochs) == 1 and isinstance(stores[0]["epoch"], int), stores
    seqs = {x["journal_offset"] for x in stores}
    assert len(seqs) == 1 and stores[0]["journal_offset"] >= seq + 3, stores
    assert stores[1]["people"] is None and stores[2]["people"] is None, stores
    fams = metrics(system.api1)
    for x in stores:
        a = x["address"]
        assert sample(fams, "bardo_store_up", address=a) == 1
        assert sample(fams, "bardo_store_role_primary", address=a) == (x["role"] == "primary")
        assert sample(fams, "bardo_store_epoch", address=a) == x["epoch"]
        assert sample(fams, "bardo_store_journal_seq", address=a) is not None
        assert sample(fams, "bardo_store_lag_entries", address=a) is not None
    assert all("," not in labels["address"] for _, labels, _ in fams["bardo_store_up"]["samples"])


def test_status_cluster_shows_a_replica_gone():
    """A replica killed: its entry turns unreachable with nothing guessed,
    the primary is still followed, and no failover is counted."""
    s = System().start()
    try:
        seq = primary_seq(s.api1)
        for _ in range(2):
            assert post(s.port, "/pessoas", person()).status == 201
        cluster = settled_cluster(s.api1, seq + 2)
        assert cluster, status(s.api1)["cluster"]
        assert cluster["failovers"] == 0, cluster
        s.kill("store-b")
        gone = wait_for(lambda: (lambda c: c if c["stores"][1]["reachable"] is False else None)(
            status(s.api1)["cluster"]))
        assert gone, status(s.api1)["cluster"]
        b = gone["stores"][1]
        assert b["address"] == s.stores[1] and b["name"] == "store-b", b
        assert b["role"] is None and b["epoch"] is None and b["lag"] is None, b
        assert b["journal_offset"] is None and b["people"] is None, b
        assert [x["reachable"] for x in gone["stores"]] == [True, False, True], gone
        assert gone["primary"] == s.stores[0] and gone["failovers"] == 0, gone
        fams = metrics(s.api1)
        assert sample(fams, "bardo_store_up", address=s.stores[1]) == 0
        assert sample(fams, "bardo_store_epoch", address=s.stores[1]) is None
        assert sample(fams, "bardo_store_up", address=s.stores[2]) == 1
        assert post(s.port, "/pessoas", person()).status == 201  # store-c still acknowledges
    finally:
        problems = s.stop()
        assert not problems, problems


def test_status_and_metrics_are_get_only(system):
    for path in ("/status", "/metrics"):
        r = request(system.api1, "POST", path, body="{}")
        assert r.status == 405, r
        assert r.header("Allow") == "GET"


# --------------------------------------------------------------------------
# /metrics
# --------------------------------------------------------------------------

def metrics(target):
    r = get(target, "/metrics")
    assert r.status == 200, r
    assert r.header("Content-Type", "").startswith("text/plain; version=0.0.4"), r
    return parse_prometheus(r.text)


def test_metrics_parse_as_prometheus_text(system):
    fams = metrics(system.api1)
    for name in ("bardo_build_info", "bardo_uptime_seconds", "bardo_cloud_info",
                 "bardo_http_requests_total", "bardo_http_request_duration_seconds",
                 "bardo_store_up", "bardo_store_role_primary", "bardo_store_epoch",
                 "bardo_store_journal_seq", "bardo_store_lag_entries", "bardo_store_failovers_total",
                 "bardo_people", "bardo_cpu_gflops",
                 "node_hwmon_temp_celsius", "node_thermal_zone_temp",
                 "node_memory_MemTotal_bytes", "node_filesystem_size_bytes",
                 "node_network_receive_bytes_total", "node_network_transmit_bytes_total"):
        assert name in fams, name
    assert fams["bardo_http_requests_total"]["type"] == "counter"
    assert fams["bardo_http_request_duration_seconds"]["type"] == "histogram"
    assert sample(fams, "bardo_build_info") == 1


def test_metrics_count_requests_by_endpoint_and_status(system):
    def health_ok():
        return sample(metrics(system.api1), "bardo_http_requests_total",
                      endpoint="health", code="200") or 0
    before = health_ok()
    for _ in range(3):
        assert get(system.api1, "/health").status == 200
    assert request(system.api1, "GET", "/nope").status == 404
    fams = metrics(system.api1)
    assert sample(fams, "bardo_http_requests_total", endpoint="health", code="200") == before + 3
    assert sample(fams, "bardo_http_requests_total", endpoint="not_found", code="404") >= 1
    assert sample(fams, "bardo_http_request_duration_seconds", "bardo_http_request_duration_seconds_count",
                  endpoint="health") >= before + 3
    assert 1 in samples(fams, "bardo_store_up")


# --------------------------------------------------------------------------
# the store goes away
# --------------------------------------------------------------------------

def wait_for(fn, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_health_flips_to_503_when_the_store_stops():
    """Every store process stopped (one, or a primary and its replicas)."""
    s = System().start()
    try:
        assert get(s.api1, "/health").status == 200
        for name in [n for n in s.pids if n.startswith("store")]:
            s.kill(name, signal.SIGTERM)
        r = wait_for(lambda: (lambda r: r if r.status == 503 else None)(get(s.api1, "/health")))
        assert r is not None, "api-1 /health still 200 with the store stopped"
        assert r.json()["errors"][0]["field"] == "store"
        assert wait_for(lambda: get(s.api2, "/health").status == 503)
        assert get(s.port, "/health").status == 503  # through nginx: both APIs say so
        for store in status(s.api1)["cluster"]["stores"]:
            assert store["reachable"] is False and store["people"] is None, store
        assert set(samples(metrics(s.api1), "bardo_store_up")) == {0}
    finally:
        problems = s.stop()
        assert not problems, problems
