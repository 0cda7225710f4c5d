"""The stores' doors (issue 11, docs/SECURITY.md): every command needs
AUTH <user> <password>, each user (api, replica, admin) runs only its
role's commands, refusals are worded as Redis words them and logged, and
nothing refused changes anything. Idle unauthenticated connections cannot
take the slots the APIs, replicas and operators need. No password shows
in a log, /status, /metrics, INFO or a command line."""
import os
import re
import shutil
import socket
import stat
import subprocess
import time

import pytest

import conftest as bb

NOAUTH = b"-NOAUTH Authentication required.\r\n"
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
HACKER_ID = "11111111-2222-3333-4444-555555555555"
HACKER_PADD = ("PADD", HACKER_ID, "hacker", "hacker", '{"oops": <script>}')

# Every command the stores know, with arguments that would work for a
# user allowed to run it; and one they do not know.
EVERY_COMMAND = [
    HACKER_PADD, ("PGET", HACKER_ID), ("PSEARCH", "hacker", "1000"), ("PCOUNT",), ("PING",),
    ("INFO",), ("ROLE",), ("COMMAND",), ("SYNC", "evil", "site-x", "0", "0"), ("ACK", "1"),
    ("PROMOTE",), ("SNAPSHOT",), ("FLUSHALL",),
]
NOT_FOR = {  # commands each role may not run (NOPERM)
    "api": [("SYNC", "evil", "site-x", "0", "0"), ("ACK", "1"), ("PROMOTE",), ("SNAPSHOT",)],
    "replica": [HACKER_PADD, ("PGET", HACKER_ID), ("PSEARCH", "hacker", "1000"), ("PCOUNT",),
                ("PROMOTE",), ("SNAPSHOT",)],
}


def replies(addr, commands, n=None, timeout=5.0):
    """Sends the commands pipelined on one fresh connection; returns the
    first n reply lines (one per command by default)."""
    n = len(commands) if n is None else n
    s = bb.connect(addr, timeout)
    try:
        s.sendall(b"".join(bb.resp_encode(*c) for c in commands))
        data = b""
        deadline = time.monotonic() + timeout
        while data.count(b"\r\n") < n and time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return [line + b"\r\n" for line in data.split(b"\r\n")[:n]]
    finally:
        s.close()


def state(system, addr):
    """(count, ROLE line) of a store, asked as the admin: what a refused
    command must leave as it was (ROLE carries the journal's last seq)."""
    count, role = replies(addr, [("AUTH",) + system.user("admin"), ("PCOUNT",), ("ROLE",)], 3)[1:]
    assert count.startswith(b":") and role.startswith(b"+"), (count, role)
    return count, role


def quiet():
    """The stores log at most 20 refusals a second: a second without any
    makes room for the next burst's lines."""
    time.sleep(1.1)


def store_log(system, addr):
    return system.log("store-" + "abc"[system.stores.index(addr)])


def assert_logged(system, addr, *lines):
    if bb.TARGET_URL:
        return  # the target's logs are not ours to read
    log = store_log(system, addr)
    for line in lines:
        assert line in log, (line, log[-3000:])


def test_hacker_padd_refused_on_every_store(system, port):
    """Issue 11's redis-cli PADD, on each store: NOAUTH, and the person
    is neither counted nor served."""
    before = {a: state(system, a) for a in system.stores}
    n = bb.count(port)
    quiet()
    for addr in system.stores:
        assert replies(addr, [HACKER_PADD]) == [NOAUTH], addr
    for addr in system.stores:
        assert state(system, addr) == before[addr], addr
        assert_logged(system, addr, "refused 'padd' on an unauthenticated connection")
    assert bb.get(port, "/pessoas/" + HACKER_ID).status == 404
    assert bb.count(port) == n


def test_every_command_needs_auth(system):
    addr = system.store
    before = state(system, addr)
    quiet()
    got = replies(addr, EVERY_COMMAND)
    assert got == [NOAUTH] * len(EVERY_COMMAND), got
    assert state(system, addr) == before
    names = [c[0].lower() for c in EVERY_COMMAND]
    assert_logged(system, addr, *["refused '%s' on an unauthenticated connection" % c for c in names])


@pytest.mark.parametrize("user", ["api", "replica", "admin", "default", "nobody"])
def test_wrong_password_refused_logged_and_delayed(system, user):
    addr = system.store
    before = state(system, addr)
    guess = "guess-" + os.urandom(8).hex()
    quiet()
    t0 = time.monotonic()
    got = replies(addr, [("AUTH", user, guess), HACKER_PADD, ("PCOUNT",)])
    took = time.monotonic() - t0
    assert got == [WRONGPASS, NOAUTH, NOAUTH], got
    assert took >= 0.14, "the next command ran %.3f s after a wrong password" % took
    assert replies(addr, [("AUTH", guess)]) == [WRONGPASS]  # one word: user "default"
    assert state(system, addr) == before
    assert_logged(system, addr, "AUTH refused: wrong password for user '%s'" % user)
    if not bb.TARGET_URL:
        assert guess not in store_log(system, addr)


@pytest.mark.parametrize("user", sorted(NOT_FOR))
def test_wrong_role_refused(system, user):
    """Each user gets NOPERM for another role's commands, on every store
    (PROMOTE on a replica would change the primary: it must not)."""
    quiet()
    for addr in system.stores:
        before = state(system, addr)
        cmds = NOT_FOR[user]
        got = replies(addr, [("AUTH",) + system.user(user)] + cmds)
        want = [b"+OK\r\n"] + [b"-NOPERM User %s has no permissions to run the '%s' command\r\n"
                                % (user.encode(), c[0].lower().encode()) for c in cmds]
        assert got == want, (addr, got)
        assert state(system, addr) == before, addr
        assert_logged(system, addr, *["refused '%s' to user %s: not in its role" % (c[0].lower(), user)
                                      for c in cmds])


def test_roles_run_their_own_commands(system):
    addr = system.store
    api = replies(addr, [("AUTH",) + system.user("api"), ("PCOUNT",), ("PING",), ("ROLE",)])
    assert api[0] == b"+OK\r\n" and api[1].startswith(b":") and api[2] == b"+PONG\r\n", api
    assert api[3].startswith(b"+primary "), api
    rep = replies(addr, [("AUTH",) + system.user("replica"), ("ROLE",), ("PING",)])
    assert rep[0] == b"+OK\r\n" and rep[1].startswith(b"+primary ") and rep[2] == b"+PONG\r\n", rep
    adm = replies(system.stores[1], [("AUTH",) + system.user("admin"), ("PROMOTE", "x")])
    assert adm == [b"+OK\r\n", b"-ERR wrong number of arguments\r\n"], adm


def test_credentials_file_is_private(system):
    if bb.TARGET_URL:
        pytest.skip("the target's credentials are not in a run folder of ours")
    path = os.path.join(system.run, "credentials")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600, oct(mode)
    assert set(system.credentials()) == {"api", "replica", "admin"}
    pws = list(system.credentials().values())
    assert len(set(pws)) == 3 and all(len(p) >= 32 for p in pws), "fresh, distinct, long"


def test_no_password_anywhere(system, port):
    """Not in any log, /status, /metrics, INFO, nor any process's argv."""
    pws = list(system.credentials().values())
    seen = {"/status": bb.get(port, "/status").text, "/metrics": bb.get(port, "/metrics").text}
    for addr in system.stores:
        seen["INFO " + addr] = bb.resp_command(addr, "INFO", auth=system.user("admin")).decode(
            errors="replace")
    for name in getattr(system, "NAMES", ()):  # a target's logs are not ours
        seen[name + ".log"] = system.log(name)
        pid = system.pids.get(name)
        if pid:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                seen[name + " argv"] = f.read().decode(errors="replace")
    for where, text in seen.items():
        for pw in pws:
            assert pw not in text, "a password in " + where


def test_idle_connections_cannot_take_the_slots(system, port):
    """Issue 11: 300 idle connections to a store used to keep 249 slots
    forever and lock everyone else out. Now: an authenticated client gets
    in and is answered at once, and the idle ones are closed once their
    deadline (2 s) passes."""
    addr = system.store
    idle = []
    try:
        for _ in range(300):
            idle.append(bb.connect(addr, 5))
        got = replies(addr, [("AUTH",) + system.user("api"), ("PCOUNT",)])
        assert got[0] == b"+OK\r\n" and got[1].startswith(b":"), got
        assert bb.get(port, "/contagem-pessoas").status == 200
        deadline = time.monotonic() + 2.0 + bb.SWEEP_S + 1.5
        open_ones = list(idle)
        while open_ones and time.monotonic() < deadline:
            still = []
            for s in open_ones:
                s.settimeout(0.01)
                try:
                    data = s.recv(4096)
                    if data and not data.startswith(b"-ERR"):
                        still.append(s)
                except socket.timeout:
                    still.append(s)
                except OSError:
                    pass  # reset: closed
            open_ones = still
            time.sleep(0.1)
        assert not open_ones, "%d idle unauthenticated connections still open" % len(open_ones)
        # the links that matter never noticed
        assert state(system, addr)[1].startswith(b"+primary ")
        assert bb.get(port, "/contagem-pessoas").status == 200
    finally:
        for s in idle:
            s.close()
    assert_logged(system, addr, "closed a connection that did not authenticate within 2000 ms")


@pytest.mark.skipif(not shutil.which("redis-cli"), reason="redis-cli (redis-tools) is not installed")
def test_redis_cli_with_user_and_password(system):
    addr = system.store
    where = system.rcli_args(addr)
    user, pw = system.user("api")
    r = subprocess.run(["redis-cli", "--no-auth-warning", "--user", user, "--pass", pw] + where
                       + ["PCOUNT"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
    assert re.fullmatch(rb"\d+\n", r.stdout), r.stdout
    env = dict(os.environ, REDISCLI_AUTH=pw)  # the way that keeps it out of ps
    r = subprocess.run(["redis-cli", "--no-auth-warning", "--user", user] + where + ["PCOUNT"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10, env=env)
    assert re.fullmatch(rb"\d+\n", r.stdout), r.stdout
    r = subprocess.run(["redis-cli"] + where + list(HACKER_PADD), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=10)
    assert r.stdout.strip() == b"NOAUTH Authentication required.", r.stdout


def test_log_lines_cannot_be_forged(system):
    """A user or command name is the client's bytes: logged printable
    only, at most 32 of them, so no one writes lines of their own."""
    addr = system.store
    quiet()
    got = replies(addr, [("AUTH", "evil\nstore-a info: promoted", "x"), ("EVIL\rCMD",)])
    assert got == [WRONGPASS, NOAUTH], got
    if bb.TARGET_URL:
        return
    log = store_log(system, addr)
    assert "wrong password for user 'evil?store-a?info:?promoted'" in log, log[-2000:]
    assert "refused 'evil?cmd' on an unauthenticated connection" in log, log[-2000:]
    assert "\nstore-a info: promoted" not in log
