"""The optional data directory (single-machine users): a store started
with --data-dir survives kill -9 with every acknowledged write, drops a
torn last journal entry, and refuses to start on any other damage."""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import pytest

from test_faults import ROOT, bb


# Every store command needs AUTH (docs/SECURITY.md): these tests are the
# admin, with a credentials file of their own next to the data.
ADMIN = ("admin", "datadir-test-" + uuid.uuid4().hex)


def cmd(sock, *args):
    return bb.resp_command(sock, *args, auth=ADMIN)


def start_store(data_dir, sock):
    b = os.environ.get("BARDO_BIN") or os.path.join(ROOT, "build/release/bin")
    here = os.path.dirname(data_dir)
    log = open(os.path.join(here, "store.log"), "ab")
    creds = bb.write_credentials(os.path.join(here, "credentials"), admin=ADMIN[1])
    env = dict(os.environ, BARDO_CREDENTIALS_FILE=creds)
    env.pop("BARDO_SECRET", None)
    p = subprocess.Popen([os.path.join(b, "bardo-store"), "--listen", "unix:" + sock,
                          "--min-replicas", "0", "--data-dir", data_dir],
                         stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and p.poll() is None:
        if os.path.exists(sock):
            try:
                if cmd(sock, "PING") == b"+PONG\r\n":
                    return p
            except OSError:
                pass
        time.sleep(0.02)
    return p


def padd(sock, i):
    pid = str(uuid.UUID(int=i + 1, version=4))
    r = cmd(sock, "PADD", pid, *bb.store_person(pid, "ap%d" % i))
    assert r == b"+OK\r\n", r
    return pid


@pytest.fixture
def place():
    d = tempfile.mkdtemp(prefix="bardo-datadir-")
    yield os.path.join(d, "data"), os.path.join(d, "store.sock")
    shutil.rmtree(d, ignore_errors=True)


def test_kill_9_loses_nothing_acknowledged(place):
    data, sock = place
    p = start_store(data, sock)
    ids = [padd(sock, i) for i in range(200)]
    journal = os.path.join(data, "journal.log")
    assert os.path.getsize(journal) > 0
    assert cmd(sock, "SNAPSHOT").startswith(b"+OK seq 200")
    assert os.path.getsize(journal) == 0, "the snapshot holds it all: the journal restarts"
    ids += [padd(sock, i) for i in range(200, 300)]
    assert os.path.getsize(journal) > 0
    p.send_signal(signal.SIGKILL)
    p.wait()
    p = start_store(data, sock)
    try:
        assert cmd(sock, "PCOUNT") == b":300\r\n"
        log = open(os.path.join(os.path.dirname(data), "store.log"), errors="replace").read()
        assert "snapshot at 200, 100 replayed" in log, log[-1000:]
        for pid in ids:
            assert cmd(sock, "PGET", pid).startswith(b"$"), pid
        padd(sock, 300)  # and it goes on writing where it stopped
    finally:
        p.terminate()
        p.wait()


def test_torn_tail_dropped_damage_refused(place):
    data, sock = place
    p = start_store(data, sock)
    for i in range(50):
        padd(sock, i)
    p.terminate()
    p.wait()
    journal = os.path.join(data, "journal.log")
    with open(journal, "ab") as f:      # a last entry cut short
        f.write(b"\x40\x00\x00\x00\x12\x34")
    p = start_store(data, sock)
    assert cmd(sock, "PCOUNT") == b":50\r\n"
    p.terminate()
    p.wait()
    with open(journal, "r+b") as f:     # damage in the middle
        f.seek(os.path.getsize(journal) // 2)
        f.write(b"\xff\xff\xff")
    p = start_store(data, sock)
    assert p.wait(timeout=5) == 1, "a damaged journal must refuse to start"
    log = open(os.path.join(os.path.dirname(data), "store.log"), errors="replace").read()
    assert "refusing to start" in log, log[-1000:]


def test_snapshots_keep_the_journal_short(place):
    """Each SNAPSHOT empties journal.log and removes the older snapshot; a
    kill -9 right after one, or after more writes, loses nothing."""
    data, sock = place
    p = start_store(data, sock)
    for i in range(100):
        padd(sock, i)
    assert cmd(sock, "SNAPSHOT").startswith(b"+OK seq 100")
    p.send_signal(signal.SIGKILL)   # right after the snapshot: the journal is empty
    p.wait()
    p = start_store(data, sock)
    assert cmd(sock, "PCOUNT") == b":100\r\n"
    for i in range(100, 150):
        padd(sock, i)
    assert cmd(sock, "SNAPSHOT").startswith(b"+OK seq 150")
    padd(sock, 150)
    p.send_signal(signal.SIGKILL)
    p.wait()
    snaps = sorted(f for f in os.listdir(data) if f.startswith("snapshot"))
    assert len(snaps) == 1 and "150" in snaps[0], snaps
    p = start_store(data, sock)
    try:
        assert cmd(sock, "PCOUNT") == b":151\r\n"
        assert cmd(sock, "PGET", str(uuid.UUID(int=151, version=4))).startswith(b"$")
    finally:
        p.terminate()
        p.wait()
