"""The nemesis (issue 10): faults injected into a running bardo under load,
and one Jepsen-style checker for all of them. A library: the tests are in
tests/faults/test_nemesis.py, `make chaos` (scripts/chaos.sh) runs them for
many rounds; docs/FAULTS.md describes each fault.

A run: a fresh System (three sites 1 ms apart when root: scripts/up.sh;
five with System(sites=5), tests/faults/test_five_sites.py),
bardo-load in the background with --events-out (one line per create: when
it was sent and answered on the load's clock, status or KO kind, Location,
the apelido sent), a RolePoller asking every store ROLE every ~100 ms, a
fault in the middle, then `check()`:

  * every id that got a 201 is readable through the API (GET) and held by
    every live store node (PGET, pipelined) once they have converged;
  * no apelido is held twice (each person read is keyed by apelido; each
    search for an apelido must find it at most once);
  * the count (/contagem-pessoas and each live store's PCOUNT) equals the
    people that exist, which are exactly the 201s plus the creates whose
    answer was lost (a KO kind, a 502 from nginx, or the API's 504: the
    store may have journaled it without saying so) that are found by
    GET /pessoas?t=<apelido>; those are listed. A 503 means "not created"
    (the API answers 504 when it cannot know): a 503'd create that exists
    is a problem;
  * never two primaries that acknowledged writes in the same epoch: from
    the stores' logs (`role: <old> -> <new> epoch <E> seq <S>`,
    `epoch <E>: first write acknowledged`) when they have those lines, and
    always from the ROLE polls (two nodes answering `primary` with the same
    epoch while 201s were answered in both their spans).

It prints one line per fault, `fault=<name> 201s=<n> KO=<kind:n,...>
lost=<n> window_ms=<n> ...`. window_ms is the time from the fault's
injection to the answer of the first create SENT after it that got a 201
(for a fault of several injections, the worst of them; "none": no create
sent after it got a 201). It is printed, never asserted.

The stores elect a new primary by themselves (src/repl/election.c). For
builds without elections (and to compare), NEMESIS_PROMOTE=1 runs
scripts/promote.sh right after a primary-killing fault; unset or 0 never
does: failover must be automatic. The printed line says which
(failover=auto|promote.sh).

Knobs: FAULT_TIME_SCALE (bardo-load --time-scale, 0.06: ~12 s of load),
NEMESIS_RESULTS=FILE (append each fault's figures as a JSON line: chaos.sh).
"""
import collections
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
_spec = importlib.util.spec_from_file_location(
    "bb", os.path.join(ROOT, "tests", "blackbox", "conftest.py"))
bb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bb)

TIME_SCALE = float(os.environ.get("FAULT_TIME_SCALE", "0.06"))  # ~12 s of load
ELECTION_WAIT_S = 3.5      # longer than any election timeout the issue allows
CONVERGE_S = 20.0          # bound on waiting for the live nodes to agree
INVALID = ("400", "422")  # the load's invalid or duplicate payloads: not KOs
DEFINITE_NO = INVALID + ("503",)  # creates refused for good: they never exist


# --------------------------------------------------------------------------
# Small helpers: scripts, stores, roles
# --------------------------------------------------------------------------

def script(system, name, *args, check=True, timeout=30):
    r = subprocess.run([os.path.join(ROOT, "scripts", name), *args], env=dict(system.env),
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("%s %s failed (%d): %s" % (name, args, r.returncode, r.stdout.decode()))
    return r.stdout.decode(errors="replace")


LETTERS = "abcdefg"  # store-a .. store-g, in up.sh's order of run/stores


def sites_up(system):
    path = os.path.join(system.run, "sites.log")
    return os.path.exists(path) and "%d up" % len(system.stores) in open(path).read()


def name_of(system, addr):
    return "store-" + LETTERS[system.stores.index(addr)]


def site_of(system, addr):
    return LETTERS[system.stores.index(addr)]


def parse_role(reply):
    """(role, epoch, seq) from `+<role> <epoch> <seq> <site> <name>`, or None."""
    m = re.match(rb"\+(\w+) (\d+) (\d+)", reply or b"")
    return (m.group(1).decode(), int(m.group(2)), int(m.group(3))) if m else None


def role(system, addr, timeout=0.5):
    try:
        return parse_role(bb.resp_command(addr, "ROLE", timeout=timeout, auth=system.user("admin")))
    except (OSError, ValueError):
        return None


def roles(system):
    return {a: role(system, a) for a in live_stores(system)}


def live_stores(system):
    return [a for a in system.stores if name_of(system, a) not in system.killed]


def find_primary(system, wait=0.0):
    """The address of the highest-epoch node answering `primary`, waiting
    up to `wait` s for one; None if there is none."""
    deadline = time.monotonic() + wait
    while True:
        best = None
        for a, r in roles(system).items():
            if r and r[0] == "primary" and (best is None or r[1] > best[1]):
                best = (a, r[1])
        if best or time.monotonic() >= deadline:
            return best[0] if best else None
        time.sleep(0.05)


def promote_by_hand(system):
    """NEMESIS_PROMOTE=1: scripts/promote.sh replaces a lost primary (the
    harness before elections); unset or 0: the stores elect one."""
    return os.environ.get("NEMESIS_PROMOTE", "0") == "1"


def gone(pid):
    try:
        os.kill(pid, 0)
        return False
    except ProcessLookupError:
        return True


def restart(system, name):
    """scripts/restart.sh NAME once the killed process is reaped (a zombie
    still answers kill -0, which restart.sh takes for running)."""
    deadline = time.monotonic() + 5
    while not gone(system.pids[name]) and time.monotonic() < deadline:
        time.sleep(0.01)
    out = script(system, "restart.sh", name)
    system.killed.discard(name)
    with open(os.path.join(system.run, name + ".pid")) as f:
        system.pids[name] = int(f.read().strip())
    return out


# --------------------------------------------------------------------------
# The load, with its events
# --------------------------------------------------------------------------

Event = collections.namedtuple("Event", "sent done outcome loc apelido")


class Load:
    """bardo-load in the background writing --events-out."""

    def __init__(self, system, time_scale=None, extra=()):
        self.dir = tempfile.mkdtemp(prefix="bardo-nemesis-load-")
        self.events_path = os.path.join(self.dir, "events.txt")
        cmd = [os.path.join(system.bin, "bardo-load"), "--url", "http://127.0.0.1:%d" % system.port,
               "--time-scale", str(time_scale or TIME_SCALE), "--quiet", "--timeout-ms", "15000",
               "--events-out", self.events_path, "--out", self.dir, *extra]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.started = time.monotonic()

    def at(self, seconds):
        """Sleeps until `seconds` after the load began."""
        time.sleep(max(0.0, self.started + seconds - time.monotonic()))

    def finish(self):
        out = self.proc.communicate(timeout=180)[0].decode(errors="replace")
        assert self.proc.returncode == 0, out
        self.t0, self.events = read_events(self.events_path)
        if not os.environ.get("BARDO_KEEP_RUN"):
            shutil.rmtree(self.dir, ignore_errors=True)
        return self.events, out

    def ms(self, t_monotonic):
        """A time.monotonic() instant on the load's clock (ms)."""
        return (t_monotonic - self.t0) * 1000.0


def read_events(path):
    """(t0 on CLOCK_MONOTONIC in s, [Event])."""
    t0, events = None, []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("#"):
                m = re.search(r"t0_monotonic_us=(\d+)", line)
                t0 = int(m.group(1)) / 1e6 if m else t0
                continue
            w = line.rstrip("\n").split(" ")
            if len(w) == 5:
                events.append(Event(float(w[0]), float(w[1]), w[2], None if w[3] == "-" else w[3],
                                    apelido_of(w[4])))
    assert t0 is not None, "no t0 line in " + path
    return t0, events


def apelido_of(field):
    """The apelido a create sent (a str), or None (none, or not a string)."""
    if field == "-":
        return None
    try:
        v = json.loads(urllib.parse.unquote(field))
    except ValueError:
        return None
    return v if isinstance(v, str) else None


# --------------------------------------------------------------------------
# ROLE polls
# --------------------------------------------------------------------------

class RolePoller:
    """Asks every store ROLE every `period` s in one thread per store;
    samples are (t_monotonic, addr, role, epoch, seq)."""

    def __init__(self, system, period=0.1):
        self.system, self.period = system, period
        self.samples, self.lock = [], threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(a,), daemon=True)
                        for a in system.stores]
        self.auth = system.user("admin")
        for t in self.threads:
            t.start()

    def _run(self, addr):
        while not self.stopping.is_set():
            t = time.monotonic()
            try:
                r = parse_role(bb.resp_command(addr, "ROLE", timeout=0.3, auth=self.auth))
            except (OSError, ValueError):
                r = None
            if r:
                with self.lock:
                    self.samples.append((t, addr) + r)
            self.stopping.wait(max(0.0, self.period - (time.monotonic() - t)))

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=2)
        return self.samples


def primary_spans(samples):
    """{epoch: {addr: (first_t, last_t)}} of the polls answering primary."""
    spans = collections.defaultdict(dict)
    for t, addr, r, epoch, _ in samples:
        if r == "primary":
            a, b = spans[epoch].get(addr, (t, t))
            spans[epoch][addr] = (min(a, t), max(b, t))
    return spans


def double_primaries_from_polls(samples, acked_done, load):
    """[(epoch, addrs)] where two nodes answered primary in one epoch and
    201s were answered during each one's span (load ms)."""
    bad = []
    for epoch, nodes in primary_spans(samples).items():
        if len(nodes) < 2:
            continue
        acking = [a for a, (t1, t2) in nodes.items()
                  if any(load.ms(t1) - 100 <= d <= load.ms(t2) + 100 for d in acked_done)]
        if len(acking) > 1:
            bad.append((epoch, sorted(acking)))
    return bad


ROLE_LINE = re.compile(r"role: (\w+) -> (\w+) epoch (\d+) seq (\d+)")
ACK_LINE = re.compile(r"epoch (\d+): first write acknowledged")


def double_primaries_from_logs(system):
    """(the logs have the election's lines, [(epoch, names)] where two nodes
    became primary, or acknowledged a first write, in one epoch)."""
    became, acked, seen = collections.defaultdict(set), collections.defaultdict(set), False
    for addr in system.stores:
        name = name_of(system, addr)
        for line in system.log(name).splitlines():
            m = ROLE_LINE.search(line)
            if m:
                seen = True
                if m.group(2) == "primary":
                    became[int(m.group(3))].add(name)
            m = ACK_LINE.search(line)
            if m:
                seen = True
                acked[int(m.group(1))].add(name)
    bad = [(e, sorted(n)) for e, n in sorted(acked.items()) if len(n) > 1]
    listed = {e for e, _ in bad}
    bad += [(e, sorted(n)) for e, n in sorted(became.items()) if len(n) > 1 and e not in listed]
    return seen, bad


# --------------------------------------------------------------------------
# Reading the system back
# --------------------------------------------------------------------------

def resp_read(sock_file):
    """One RESP reply from a file-like socket: bytes, None (nil), int or
    ('+'|'-', text)."""
    line = sock_file.readline()
    if not line:
        raise bb.ConnectionClosed("store closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = sock_file.read(n + 2)
        return data[:-2]
    if kind == b":":
        return int(rest)
    return (kind.decode(), rest.decode(errors="replace"))


def store_pipeline(system, addr, commands, user="api"):
    """The replies to `commands` (each a tuple of args) sent in one go."""
    s = bb.connect(addr, timeout=10)
    try:
        out = bb.resp_encode("AUTH", *system.user(user))
        out += b"".join(bb.resp_encode(*c) for c in commands)
        s.sendall(out)
        f = s.makefile("rb")
        auth = resp_read(f)
        assert auth == ("+", "OK"), auth
        return [resp_read(f) for _ in commands]
    finally:
        s.close()


def store_count(system, addr):
    return store_pipeline(system, addr, [("PCOUNT",)])[0]


class Api:
    """GETs through nginx on one keep-alive connection, reopened as needed."""

    def __init__(self, system):
        self.port, self.conn = system.port, None

    def get(self, path):
        for attempt in range(3):
            try:
                if self.conn is None:
                    self.conn = bb.Conn(self.port, timeout=10)
                r = self.conn.request("GET", path)
                if r.header("connection", "").lower() == "close":
                    self.close()
                return r
            except (OSError, bb.ConnectionClosed):
                self.close()
                if attempt == 2:
                    raise
        return None

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None


def converge(system, deadline_s=CONVERGE_S):
    """Waits until the live nodes agree: one primary, every other node a
    replica at its seq, equal PCOUNTs. Returns the last ROLE answers."""
    deadline = time.monotonic() + deadline_s
    while True:
        rs = roles(system)
        ok = all(rs.values()) and sum(r[0] == "primary" for r in rs.values()) == 1
        if ok:
            seqs = {r[2] for r in rs.values()}
            roles_ok = all(r[0] in ("primary", "replica") for r in rs.values())
            counts = {store_count(system, a) for a in rs}
            if roles_ok and len(seqs) == 1 and len(counts) == 1:
                return rs
        if time.monotonic() >= deadline:
            return rs
        time.sleep(0.2)


# --------------------------------------------------------------------------
# The checker
# --------------------------------------------------------------------------

class Report:
    """What check() found; .line() is the one printed line."""

    def __init__(self, name):
        self.name = name
        self.problems = []
        self.acked = self.lost = self.lost_answer_exists = 0
        self.ko = collections.Counter()
        self.window_ms = None
        self.failover = "auto"
        self.notes = []

    def line(self):
        ko = ",".join("%s:%d" % kv for kv in sorted(self.ko.items())) or "-"
        w = "none" if self.window_ms is None else "%d" % round(self.window_ms)
        return ("fault=%s 201s=%d KO=%s lost=%d window_ms=%s answer_lost_but_created=%d failover=%s%s"
                % (self.name, self.acked, ko, self.lost, w, self.lost_answer_exists, self.failover,
                   "".join(" " + n for n in self.notes)))

    def as_json(self):
        return json.dumps({"fault": self.name, "acked": self.acked, "ko": dict(self.ko),
                           "lost": self.lost, "window_ms": self.window_ms,
                           "answer_lost_but_created": self.lost_answer_exists,
                           "failover": self.failover, "problems": self.problems})


def window_ms(events, injections_ms):
    """Worst, over the injections, of: injection -> answer of the first
    create sent after it that got a 201 (None if one never got a 201)."""
    worst = 0.0
    for t in injections_ms:
        after = [e for e in events if e.sent >= t and e.outcome == "201"]
        if not after:
            return None
        worst = max(worst, min(after, key=lambda e: e.sent).done - t)
    return worst


def person_id(loc):
    return loc.rsplit("/", 1)[-1]


def read_acked(api, acked, rep):
    """{id: apelido} of the 201s read back through the API; misses noted."""
    held, missing = {}, []
    for e in acked:
        r = api.get(e.loc)
        if r is not None and r.status == 200:
            held[person_id(e.loc)] = r.json().get("apelido")
        else:
            missing.append((e.loc, r.status if r is not None else None))
    if missing:
        rep.problems.append("%d of %d ids that got a 201 are not readable through the API: %s"
                            % (len(missing), len(acked), missing[:5]))
    return held, {person_id(loc) for loc, _ in missing}


def read_on_stores(system, ids, rep):
    """The ids some live node does not hold (PGET on each)."""
    gone = set()
    ordered = sorted(ids)
    for addr in live_stores(system):
        replies = store_pipeline(system, addr, [("PGET", i) for i in ordered])
        miss = [i for i, r in zip(ordered, replies) if not isinstance(r, bytes)]
        if miss:
            rep.problems.append("%s lacks %d ids that got a 201: %s" % (
                name_of(system, addr), len(miss), miss[:5]))
        gone.update(miss)
    return gone


def search_apelido(api, apelido):
    """The ids of the people whose apelido is exactly `apelido`."""
    r = api.get("/pessoas?t=" + urllib.parse.quote(apelido, safe=""))
    if r is None or r.status != 200:
        raise AssertionError("search for %r failed: %r" % (apelido, r))
    return [p["id"] for p in r.json() if p.get("apelido") == apelido]


def refused_but_exist(api, events, by_apelido, rep):
    """A create answered 503 (the API's "not created") must not exist."""
    refused = {e.apelido for e in events if e.outcome == "503" and e.apelido is not None}
    bad = {}
    for ap in sorted(refused - set(by_apelido)):
        ids = search_apelido(api, ap)
        if ids:
            bad[ap] = ids
    if bad:
        rep.problems.append("%d creates answered 503 exist: %s" % (len(bad), list(bad.items())[:5]))


def find_lost_answers(api, events, held, rep):
    """{id: apelido} of the creates whose answer was lost (KO or 5xx) that
    exist and are not a 201's person; duplicates by apelido noted."""
    by_apelido = collections.defaultdict(set)
    for pid, ap in held.items():
        by_apelido[ap].add(pid)
    found = {}
    unknown = [e for e in events if e.outcome != "201" and e.outcome not in DEFINITE_NO]
    for ap in sorted({e.apelido for e in unknown if e.apelido is not None}):
        ids = search_apelido(api, ap)
        if len(ids) > 1:
            rep.problems.append("apelido %r is held %d times: %s" % (ap, len(ids), ids))
        for pid in ids:
            if pid not in held:
                found[pid] = ap
                by_apelido[ap].add(pid)
    refused_but_exist(api, events, by_apelido, rep)
    dups = {ap: ids for ap, ids in by_apelido.items() if len(ids) > 1}
    if dups:
        rep.problems.append("%d apelidos held twice: %s" % (len(dups), list(dups.items())[:5]))
    return found


def check_counts(system, api, expected, rep):
    r = api.get("/contagem-pessoas")
    counts = {"api": int(r.text) if r is not None and r.status == 200 else None}
    for addr in live_stores(system):
        counts[name_of(system, addr)] = store_count(system, addr)
    wrong = {k: v for k, v in counts.items() if v != expected}
    if wrong:
        rep.problems.append("count != %d people that exist (201s + lost answers found): %s"
                            % (expected, counts))


def check_primaries(system, samples, events, load, rep):
    acked_done = [e.done for e in events if e.outcome == "201"]
    bad = double_primaries_from_polls(samples, acked_done, load)
    if bad:
        rep.problems.append("two primaries acknowledged writes in one epoch (ROLE polls): %s"
                            % [(e, [name_of(system, a) for a in addrs]) for e, addrs in bad])
    seen, bad = double_primaries_from_logs(system)
    if bad:
        rep.problems.append("two primaries in one epoch (store logs): %s" % bad)
    rep.notes.append("primaries=%s" % ("logs+polls" if seen else "polls"))


def check(system, load, events, samples, name, injections, failover="auto"):
    """The checker: see the top of this file. injections are
    time.monotonic() instants. Returns a Report (its .problems empty: ok)."""
    rep = Report(name)
    rep.failover = failover
    acked = [e for e in events if e.outcome == "201"]
    rep.acked = len(acked)
    rep.ko = collections.Counter(e.outcome for e in events
                                 if e.outcome != "201" and e.outcome not in INVALID)
    rep.window_ms = window_ms(events, [load.ms(t) for t in injections])
    final_roles = converge(system)
    api = Api(system)
    try:
        held, unreadable = read_acked(api, acked, rep)
        gone = read_on_stores(system, {person_id(e.loc) for e in acked}, rep)
        rep.lost = len(unreadable | gone)
        found = find_lost_answers(api, events, held, rep)
        rep.lost_answer_exists = len(found)
        if found:
            rep.notes.append("lost_answers_found=%s" % sorted(found.values())[:10])
        check_counts(system, api, len(held) + len(found), rep)
    finally:
        api.close()
    check_primaries(system, samples, events, load, rep)
    if rep.problems:
        rep.problems.append("ROLE at the end: %s" % {name_of(system, a): r for a, r in final_roles.items()})
    return rep


def publish(rep):
    """Prints the line (pytest -s shows it) and appends to NEMESIS_RESULTS."""
    print(rep.line())
    path = os.environ.get("NEMESIS_RESULTS")
    if path:
        with open(path, "a") as f:
            f.write(rep.as_json() + "\n")


def summarize(path):
    """chaos.sh's table: per fault, rounds, median and worst window, total
    lost, failed rounds."""
    rows = collections.defaultdict(list)
    with open(path) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                rows[r["fault"]].append(r)
    out = []
    for fault, rs in sorted(rows.items()):
        ws = [r["window_ms"] for r in rs if r["window_ms"] is not None]
        med = "%d" % statistics.median(ws) if ws else "none"
        worst = "none" if len(ws) < len(rs) else ("%d" % max(ws) if ws else "none")
        out.append("%-28s rounds=%d window_ms median=%s worst=%s lost=%d failed=%d" % (
            fault, len(rs), med, worst, sum(r["lost"] for r in rs), sum(bool(r["problems"]) for r in rs)))
    return "\n".join(out)


# --------------------------------------------------------------------------
# One fault's run
# --------------------------------------------------------------------------

class Run:
    """A load (extra: more bardo-load arguments), the ROLE poller and the
    fault's injection times, for one fault against `system`; finish()
    checks and prints."""

    def __init__(self, system, name, time_scale=None, extra=()):
        self.system, self.name = system, name
        self.manual = promote_by_hand(system)
        self.poller = RolePoller(system)
        self.load = Load(system, time_scale, extra)
        self.injections = []
        self.log = []

    def note(self, what):
        self.log.append("%.2f s %s" % (time.monotonic() - self.load.started, what))

    def inject(self, what):
        self.injections.append(time.monotonic())
        self.note(what)

    def primary(self, wait=5.0):
        p = find_primary(self.system, wait)
        assert p, "no primary among %s" % roles(self.system)
        return p

    def primary_lost(self, old):
        """After a fault that took the primary `old` away: with
        NEMESIS_PROMOTE, scripts/promote.sh (retried, bounded); else the
        stores must elect one themselves (nothing to do here)."""
        if not self.manual:
            return
        deadline = time.monotonic() + 5
        while True:
            r = script(self.system, "promote.sh", *self.best_replica(), check=False)
            if "promote: " in r and "OK" in r:
                self.note("promote.sh: " + r.strip().splitlines()[-1])
                return
            if time.monotonic() > deadline:
                self.note("promote.sh failed: " + r.strip())
                return
            time.sleep(0.2)

    def best_replica(self):
        """[the reachable replica with the highest seq] (as promote.sh
        picks it, but asking with a short timeout: promote.sh alone waits
        3 s on a node that is cut off), or [] to let promote.sh choose."""
        best = None
        for a, r in roles(self.system).items():
            if r and r[0] == "replica" and (best is None or r[2] > best[1]):
                best = (a, r[2])
        return [best[0]] if best else []

    def new_primary(self, old, wait=10.0):
        """The primary that replaced `old` (waits, bounded)."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            p = find_primary(self.system)
            if p and p != old:
                return p
            time.sleep(0.05)
        raise AssertionError("no new primary after %s went: %s" % (old, roles(self.system)))

    def finish(self):
        events, out = self.load.finish()
        samples = self.poller.stop()
        rep = check(self.system, self.load, events, samples, self.name, self.injections,
                    "promote.sh" if self.manual else "auto")
        publish(rep)
        print("  steps: " + "; ".join(self.log))
        self.events, self.samples, self.report = events, samples, rep
        assert not rep.problems, "%s\n%s\nsteps: %s\nload:\n%s" % (
            rep.line(), "\n".join(rep.problems), self.log, out[-2000:])
        return rep
