"""Black-box test harness for bardo: starts the real system, talks raw HTTP.

The session fixture `system` runs scripts/up.sh (store, api-1, api-2 and
nginx on a free TCP port, in a fresh run folder) and always runs
scripts/down.sh at the end, then checks that every process stopped on
SIGTERM by itself (down.sh escalates to SIGKILL after 5 s), that the store
and both APIs logged their "stopping" line, and that no sanitizer report
appeared in any log. The run folder is removed after a clean stop (set
BARDO_KEEP_RUN=1 to keep it).

The HTTP helpers are deliberately raw sockets (no http.client), so tests
control every byte: pipelining, split sends, bad framing.

Python 3 standard library + pytest only.
"""
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import uuid

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
API_ARGS = "--idle-ms 1500 --request-timeout-ms 1000"
IDLE_S = 1.5
REQUEST_TIMEOUT_S = 1.0
SWEEP_S = 1.0  # the servers sweep timeouts once a second
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer")


# --------------------------------------------------------------------------
# Raw HTTP
# --------------------------------------------------------------------------

class Response:
    def __init__(self, status, reason, headers, body, version):
        self.status = status
        self.reason = reason
        self.header_list = headers          # [(name, value)] as received
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body
        self.version = version

    @property
    def text(self):
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def __repr__(self):
        return "<Response %d %r %r>" % (self.status, self.header_list, self.body[:300])


class ConnectionClosed(Exception):
    pass


# Store addresses whose links are TLS (up.sh made the run's tls/ folder)
# -> the admin's ssl.SSLContext: connect() speaks TLS to them, as the APIs
# and replicas do (docs/SECURITY.md). Filled by System.start.
STORE_TLS = {}


def tls_context(tls_dir, name="admin"):
    """A TLS 1.3 client context trusting tls_dir's CA, showing name's
    certificate (scripts/certs.sh made both)."""
    ctx = ssl.create_default_context(cafile=os.path.join(tls_dir, "ca.crt"))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(os.path.join(tls_dir, name + ".crt"), os.path.join(tls_dir, name + ".key"))
    return ctx


def connect(target, timeout=5.0, plain=False):
    """target: an int TCP port on 127.0.0.1, "host:port", "unix:/path" or
    a Unix socket path (the last three as scripts/up.sh writes stores).
    A store in STORE_TLS is spoken to over TLS unless plain=True."""
    if isinstance(target, str) and target.startswith("unix:"):
        target = target[5:]
    elif isinstance(target, str) and re.fullmatch(r"[\d.]+:\d+", target):
        host, port = target.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=timeout)
        ctx = None if plain else STORE_TLS.get(target)
        return ctx.wrap_socket(s, server_hostname=host) if ctx else s
    if isinstance(target, int):
        s = socket.create_connection(("127.0.0.1", target), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(target)
    return s


def build_request(method, path, body=None, headers=None, version="1.1", host=True):
    """Bytes of one request. body: bytes, str or a JSON-able object. A
    Content-Length is added for a body unless headers already frame it."""
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body, ensure_ascii=False)
    if isinstance(body, str):
        body = body.encode("utf-8")
    hdrs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    names = {k.lower() for k, _ in hdrs}
    if host and "host" not in names:
        hdrs.insert(0, ("Host", "localhost"))
    if body is not None and "content-length" not in names and "transfer-encoding" not in names:
        hdrs.append(("Content-Length", str(len(body))))
    if body is not None and "content-type" not in names:
        hdrs.append(("Content-Type", "application/json"))
    head = "%s %s HTTP/%s\r\n" % (method, path, version)
    head += "".join("%s: %s\r\n" % (k, v) for k, v in hdrs) + "\r\n"
    return head.encode("utf-8") + (body or b"")


class Conn:
    """One client connection (keep-alive capable) with its own read buffer."""

    def __init__(self, target, timeout=5.0):
        self.target = target
        self.sock = connect(target, timeout)
        self.buf = b""
        self.eof = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        if self.eof:
            raise ConnectionClosed("connection closed by peer")
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            raise ConnectionClosed("connection closed by peer")
        self.buf += chunk

    def read_response(self, method="GET"):
        """Reads one response; 1xx interim responses are returned too."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/(1\.[01]) (\d{3})(?: (.*))?$", lines[0])
        assert m, "bad status line %r" % lines[0]
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        status = int(m.group(2))
        hmap = {k.lower(): v for k, v in headers}
        if status < 200 or status in (204, 304) or method == "HEAD":
            body = b""
        elif "content-length" in hmap:
            n = int(hmap["content-length"])
            while len(self.buf) < n:
                self._fill()
            body, self.buf = self.buf[:n], self.buf[n:]
        elif "chunked" in hmap.get("transfer-encoding", "").lower():
            body = self._read_chunked()
        else:  # delimited by close
            while True:
                try:
                    self._fill()
                except ConnectionClosed:
                    break
            body, self.buf = self.buf, b""
        return Response(status, m.group(3) or "", headers, body, m.group(1))

    def _read_chunked(self):
        body = b""
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            line, self.buf = self.buf.split(b"\r\n", 1)
            n = int(line.split(b";")[0], 16)
            while len(self.buf) < n + 2:
                self._fill()
            body += self.buf[:n]
            self.buf = self.buf[n + 2:]
            if n == 0:
                return body

    def request(self, method, path, body=None, headers=None, version="1.1"):
        self.send(build_request(method, path, body, headers, version))
        r = self.read_response(method)
        while 100 <= r.status < 200:
            r = self.read_response(method)
        return r

    def closed_by_peer(self, wait=0.0):
        """True when the peer has closed (EOF or reset) within `wait` s.
        Bytes that arrive meanwhile are kept in the buffer."""
        deadline = time.monotonic() + wait
        old = self.sock.gettimeout()
        try:
            while True:
                left = deadline - time.monotonic()
                self.sock.settimeout(max(left, 0.001))
                try:
                    chunk = self.sock.recv(65536)
                except socket.timeout:
                    if left <= 0:
                        return False
                    continue
                except (ConnectionResetError, BrokenPipeError):
                    return True
                if not chunk:
                    self.eof = True
                    return True
                self.buf += chunk
        finally:
            self.sock.settimeout(old)


def request(target, method, path, body=None, headers=None, version="1.1", timeout=5.0):
    """One request on a fresh connection."""
    with Conn(target, timeout) as c:
        return c.request(method, path, body, headers, version)


def get(target, path, **kw):
    return request(target, "GET", path, **kw)


def post(target, path, body, **kw):
    return request(target, "POST", path, body=body, **kw)


def uniq(prefix="u", n=12):
    """A unique ASCII token (prefix + n hex digits)."""
    return prefix + uuid.uuid4().hex[:n]


def person(**over):
    """A valid person with a unique apelido; keyword arguments override
    fields (None gives JSON null)."""
    p = {"apelido": uniq("p"), "nome": "Nome " + uniq(""),
         "nascimento": "1990-05-17", "stack": ["C", "Python"]}
    p.update(over)
    return p


def store_person(pid, apelido, nome="n", nascimento="2000-01-01"):
    """PADD's arguments after the id for a person, as the API makes them
    (the store refuses anything else): apelido, search key, JSON. ASCII
    only, so the key's folding is Python's lower()."""
    assert all(" " <= c <= "~" and c not in '"\\' for c in apelido + nome), (apelido, nome)
    doc = '{"id":"%s","apelido":"%s","nome":"%s","nascimento":"%s","stack":null}' % (
        pid, apelido, nome, nascimento)
    return apelido, apelido.lower() + "\0" + nome.lower(), doc


def resp_encode(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def resp_command(sock_path, *args, timeout=5.0, auth=None):
    """One RESP command to a store (Unix socket or host:port); returns the
    raw reply (its first line at least). Every store command needs AUTH
    (docs/SECURITY.md): auth=(user, password) sends `AUTH user password`
    first, and then returns the command's reply, or AUTH's if it failed."""
    out = resp_encode(*args)
    if auth:
        out = resp_encode("AUTH", *auth) + out
    s = connect(sock_path, timeout)
    try:
        s.sendall(out)
        data = b""
        while data.count(b"\r\n") < (2 if auth else 1):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if auth and data.count(b"\r\n") == 1 and not data.startswith(b"+OK\r\n"):
                break  # AUTH refused: the caller sees why
        if auth and data.startswith(b"+OK\r\n"):
            data = data[5:]
        return data
    finally:
        s.close()


def read_credentials(path):
    """{user: password} from a credentials file (lines `user password`)."""
    users = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 2 and not w[0].startswith("#"):
                users[w[0]] = w[1]
    return users


def write_credentials(path, **users):
    """A credentials file as the stores want it: mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        for u, pw in users.items():
            f.write("%s %s\n" % (u, pw))
    return path


# --------------------------------------------------------------------------
# The system under test
# --------------------------------------------------------------------------

def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _alive(pid):
    """Alive and not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


class System:
    """One whole bardo (store-a the primary, store-b and store-c its
    replicas, api-1, api-2, nginx) started by up.sh; sites=5 gives it five
    store sites (store-a .. store-e: up.sh's SITES, whatever the caller's
    environment says)."""

    ALIASES = {"store": "store-a"}  # "the store" is the primary

    def __init__(self, bin_dir=None, api_args=API_ARGS, sites=3):
        self.bin = bin_dir or os.environ.get("BARDO_BIN") or os.path.join(ROOT, "build/release/bin")
        self.run = tempfile.mkdtemp(prefix="bardo-bb-")
        os.chmod(self.run, 0o755)
        self.port = free_port()
        self.api_args = api_args
        self.sites = sites
        self.store_names = tuple("store-" + "abcdefg"[i] for i in range(sites))
        self.NAMES = self.store_names + ("api-1", "api-2", "nginx")
        self.env = dict(os.environ, BARDO_PORT=str(self.port), BARDO_RUN=self.run,
                        BARDO_BIN=self.bin, BARDO_API_ARGS=api_args, SITES=str(sites))
        self.api1 = os.path.join(self.run, "api-1.sock")
        self.api2 = os.path.join(self.run, "api-2.sock")
        self.store = None  # the primary's address, known once up.sh ran
        self.stores = []
        self.pids = {}
        self.killed = set()  # processes a test killed on purpose

    def start(self):
        if TARGET_URL:
            shutil.rmtree(self.run, ignore_errors=True)
            pytest.skip("starts a system of its own: not with BARDO_TARGET_URL")
        for prog in ("bardo-api", "bardo-store"):
            path = os.path.join(self.bin, prog)
            if not os.access(path, os.X_OK):
                shutil.rmtree(self.run, ignore_errors=True)
                raise RuntimeError("%s is missing: run `make build` first" % path)
        r = subprocess.run([os.path.join(ROOT, "scripts/up.sh")], env=self.env, cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        if r.returncode != 0:
            logs = self.logs()
            self.stop()
            raise RuntimeError("up.sh failed (%d): %s\n%s" % (r.returncode, r.stdout.decode(), logs))
        try:
            for name in self.NAMES:
                with open(os.path.join(self.run, name + ".pid")) as f:
                    self.pids[name] = int(f.read().strip())
            with open(os.path.join(self.run, "stores")) as f:
                self.stores = f.read().strip().split(",")
        except OSError:
            self.stop()  # up.sh ran: never leave its processes behind
            raise
        self.store = self.stores[0]
        self.tls_dir = os.path.join(self.run, "tls")
        if os.path.exists(os.path.join(self.tls_dir, "ca.crt")):
            ctx = tls_context(self.tls_dir)
            STORE_TLS.update((a, ctx) for a in self.stores)
        return self

    def rcli_args(self, addr, cert="admin"):
        """redis-cli's arguments to reach store addr, as scripts/env.sh's
        rcli_args: the address, and the TLS flags with cert's certificate
        when the links are TLS."""
        if addr.startswith("unix:"):
            return ["-s", addr[5:]]
        host, port = addr.rsplit(":", 1)
        args = ["-h", host, "-p", port]
        if addr in STORE_TLS:
            t = self.tls_dir
            args += ["--tls", "--cacert", os.path.join(t, "ca.crt"),
                     "--cert", os.path.join(t, cert + ".crt"), "--key", os.path.join(t, cert + ".key")]
        return args

    def credentials(self):
        """{user: password}: the file up.sh made in the run folder."""
        return read_credentials(os.path.join(self.run, "credentials"))

    def user(self, name="admin"):
        """(user, password) for resp_command's auth."""
        return (name, self.credentials()[name])

    def log(self, name):
        try:
            with open(os.path.join(self.run, name + ".log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def logs(self):
        return "\n".join("--- %s.log\n%s" % (n, self.log(n)[-3000:]) for n in self.NAMES)

    def kill(self, name, sig=signal.SIGKILL):
        """Kills one process on purpose (its shutdown is then not checked)."""
        name = self.ALIASES.get(name, name)
        self.killed.add(name)
        os.kill(self.pids[name], sig)
        deadline = time.monotonic() + 5
        while _alive(self.pids[name]) and time.monotonic() < deadline:
            time.sleep(0.02)

    def stop(self):
        """Runs down.sh; returns a list of shutdown problems (empty: clean).

        down.sh sends SIGTERM and, 5 s later, SIGKILL to whatever is left.
        We watch each PID while it runs: one still alive 4.5 s after the
        start was not stopped by SIGTERM."""
        for a in self.stores:
            STORE_TLS.pop(a, None)
        t0 = time.monotonic()
        proc = subprocess.Popen([os.path.join(ROOT, "scripts/down.sh")], env=self.env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        gone = {}
        watch = {n: p for n, p in self.pids.items() if n not in self.killed}
        while proc.poll() is None or len(gone) < len(watch):
            now = time.monotonic() - t0
            for n, p in watch.items():
                if n not in gone and not _alive(p):
                    gone[n] = now
            if proc.poll() is not None and now > 15:
                break
            time.sleep(0.02)
        out = proc.communicate(timeout=30)[0].decode(errors="replace")
        problems = []
        for n, p in watch.items():
            t = gone.get(n)
            if t is None:
                problems.append("%s (pid %d) still alive after down.sh" % (n, p))
            elif t > 4.5:
                problems.append("%s needed SIGKILL: exited %.1f s after down.sh started" % (n, t))
        for n in self.store_names + ("api-1", "api-2"):
            if n in self.killed or not self.pids:
                continue
            log = self.log(n)
            if not re.search(r"\binfo: stopping\b", log):
                problems.append("%s did not log its 'stopping' line:\n%s" % (n, log[-2000:]))
        for n in self.NAMES:
            log = self.log(n)
            for mark in SANITIZER_MARKS:
                if mark in log:
                    problems.append("%s.log has a sanitizer report (%r):\n%s" % (n, mark, log[-4000:]))
                    break
        if problems:
            problems.append("down.sh output: " + out + "\nrun folder kept: " + self.run)
        elif not os.environ.get("BARDO_KEEP_RUN"):
            shutil.rmtree(self.run, ignore_errors=True)
        return problems


# --------------------------------------------------------------------------
# An already running system (the compose stack: scripts/compose_test.sh)
# --------------------------------------------------------------------------
# BARDO_TARGET_URL=http://127.0.0.1:PORT makes the session fixture start
# nothing and test that system through its port. BARDO_TARGET_SOCKETS=DIR
# (optional) is a folder holding its api-1.sock, api-2.sock and
# store-{a,b,c}.sock (the compose stack's socket volume, seen from the
# host; store-a the primary); without it, the
# tests that need them skip. The tests that kill a process or start a
# system of their own skip, and so do those that need the APIs' short test
# timeouts (API_ARGS) unless BARDO_TARGET_API_ARGS says the target has them.
TARGET_URL = os.environ.get("BARDO_TARGET_URL", "")
TARGET_TIMEOUT_TESTS = ("test_idle_keep_alive_connection_closed",
                        "test_slow_client_stalls_nobody_and_is_cut")


def target_port(url):
    m = re.fullmatch(r"(?:http://)?(127\.0\.0\.1|localhost)?:(\d+)/?", url)
    if not m:
        raise RuntimeError("BARDO_TARGET_URL must be http://127.0.0.1:PORT, not %r" % url)
    return int(m.group(2))


class TargetSystem:
    """A bardo someone else started (compose stack): nothing to start or stop."""

    def __init__(self, url, sockets=None):
        self.port = target_port(url)
        self.run = sockets
        self.killed = set()
        self.pids = {}

    def _sock(self, name):
        if not self.run:
            pytest.skip("needs %s's socket: set BARDO_TARGET_SOCKETS" % name)
        return os.path.join(self.run, name + ".sock")

    api1 = property(lambda self: self._sock("api-1"))
    api2 = property(lambda self: self._sock("api-2"))
    store = property(lambda self: "unix:" + self._sock("store-a"))
    stores = property(lambda self: ["unix:" + self._sock("store-" + s) for s in "abc"])

    def kill(self, name, sig=signal.SIGKILL):
        pytest.skip("kills %s: not on a target system" % name)

    def credentials(self):
        """The target's credentials file: BARDO_TARGET_CREDENTIALS."""
        path = os.environ.get("BARDO_TARGET_CREDENTIALS")
        if not path:
            pytest.skip("needs the stores' credentials: set BARDO_TARGET_CREDENTIALS")
        return read_credentials(path)

    def rcli_args(self, addr, cert="admin"):
        """A target's stores, as far as this knows, are plaintext."""
        if addr.startswith("unix:"):
            return ["-s", addr[5:]]
        host, port = addr.rsplit(":", 1)
        return ["-h", host, "-p", port]

    def user(self, name="admin"):
        return (name, self.credentials()[name])

    def log(self, name):
        return ""

    def logs(self):
        return "(logs are the target's: scripts/compose.sh logs)"

    def stop(self):
        return []


def pytest_collection_modifyitems(config, items):
    if not TARGET_URL or os.environ.get("BARDO_TARGET_API_ARGS", "") == API_ARGS:
        return
    skip = pytest.mark.skip(reason="needs the APIs' test timeouts (%s); the target has its own" % API_ARGS)
    for item in items:
        if getattr(item, "originalname", item.name) in TARGET_TIMEOUT_TESTS:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def system():
    if TARGET_URL:
        yield TargetSystem(TARGET_URL, os.environ.get("BARDO_TARGET_SOCKETS") or None)
        return
    s = System()
    s.start()
    try:
        yield s
    finally:
        problems = s.stop()
        if problems:
            pytest.fail("unclean shutdown:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def port(system):
    return system.port


def count(port, prefix="pessoas"):
    r = get(port, "/contagem-" + prefix)
    assert r.status == 200, r
    assert re.fullmatch(rb"\d+\n?", r.body), r
    return int(r.body)
