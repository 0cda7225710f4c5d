"""Every program explains itself: `--help` exits 0 and lists exactly the
options below (hard-coded, so a dropped or an undocumented option fails),
with each numeric option's default and each option's environment variable;
a bad numeric value, an unknown option, a missing value or a stray
argument exits 2 with one line on stderr naming the problem, and nothing
on stdout. The programs run from $BARDO_BIN; none of them starts serving:
a value wrongly accepted shows as a timeout.

One PROGRAMS entry per program; the tests are parametrised over them."""
import os
import re
import subprocess
import tempfile
from collections import namedtuple

import pytest

from conftest import ROOT, TARGET_URL

# name: the program. options: every long option it takes but --help.
# numeric: the options whose values are numbers (each bad value must fail).
# env: option -> the environment variable that sets it (shown in --help).
# env_only: variables --help must list though no option matches them.
# safe: arguments put first so that a wrongly accepted value cannot touch
# anything shared (a Unix socket in a temporary folder, an unused queue).
Program = namedtuple("Program", "name options numeric env env_only safe")

# The TLS options of the programs that link sites (src/core/tls_opt.h).
TLS = ("tls-ca", "tls-cert", "tls-key")
TLS_ENV = {"tls-ca": "BARDO_TLS_CA", "tls-cert": "BARDO_TLS_CERT", "tls-key": "BARDO_TLS_KEY"}

PROGRAMS = [
    Program("bardo-api", ("listen", "store", "name", "idle-ms", "request-timeout-ms") + TLS,
            ("idle-ms", "request-timeout-ms"), TLS_ENV,
            ("BARDO_CREDENTIALS_FILE", "BARDO_SECRET", "BARDO_SITE", "BARDO_PROBE_ROOT",
             "BARDO_NVML_LIB", "BARDO_GFLOPS_MS"),
            ("--listen", "unix:{tmp}/api.sock", "--store", "unix:{tmp}/none.sock")),
    Program("bardo-store", ("listen", "name", "site", "role", "peers", "min-replicas",
                            "write-timeout-ms", "resync-mbps", "epoch", "expected", "backlog-mb",
                            "max-memory-mb", "data-dir") + TLS,
            ("min-replicas", "write-timeout-ms", "resync-mbps", "epoch", "expected", "backlog-mb",
             "max-memory-mb"),
            dict(TLS_ENV, **{"min-replicas": "BARDO_MIN_REPLICAS", "site": "BARDO_SITE"}),
            ("BARDO_CREDENTIALS_FILE", "BARDO_SECRET", "BARDO_PROBE_ROOT", "BARDO_NVML_LIB",
             "BARDO_GFLOPS_MS"),
            ("--listen", "unix:{tmp}/store.sock", "--min-replicas", "0")),
    Program("bardo-netdelay", ("queue", "delay-us", "max-queue"),
            ("queue", "delay-us", "max-queue"), {"delay-us": "BARDO_SITES_DELAY_US"}, (),
            ("--queue", "65432")),
    Program("bardo-load", ("url", "payloads", "terms", "scale", "time-scale", "procedural",
                           "seed", "pool", "max-conns", "timeout-ms", "out", "label", "quiet",
                           "strict", "ids-out", "events-out", "write-data"),
            ("scale", "time-scale", "procedural", "seed", "max-conns", "timeout-ms"), {}, (),
            ("--url", "http://127.0.0.1:1", "--ids-out", "{tmp}/ids")),
]

# Not a value of any numeric option: a word, empty, signs, a suffix, hex,
# a leading space, 2**64 (overflow). (No fraction: an option taking
# decimals may accept one.)
BAD_NUMBERS = ["two", "", "-1", "+1", "10ms", "0x10", " 5", "18446744073709551616"]
SECRET = "cli-test-secret-9f3e1a"

ids = [p.name for p in PROGRAMS]


def bin_path(prog):
    path = os.path.join(os.environ.get("BARDO_BIN") or os.path.join(ROOT, "build/release/bin"), prog)
    if not os.access(path, os.X_OK):
        if TARGET_URL:
            pytest.skip("%s is not built here (testing a target system)" % path)
        raise RuntimeError("%s is missing: run `make build` first" % path)
    return path


def run(prog, *args, env=None):
    """(exit status, stdout, stderr) of prog with args; a program that does
    not exit at once (it accepted its arguments and started) fails."""
    e = dict(os.environ, **(env or {}))
    for var in ("BARDO_MIN_REPLICAS", "BARDO_SITES_DELAY_US", "BARDO_CREDENTIALS_FILE",
                "BARDO_TLS_CA", "BARDO_TLS_CERT", "BARDO_TLS_KEY"):
        if not env or var not in env:
            e.pop(var, None)
    e["BARDO_SECRET"] = (env or {}).get("BARDO_SECRET", SECRET)
    with tempfile.TemporaryDirectory(prefix="bardo-cli-") as tmp:
        argv = [bin_path(prog.name)] + [a.format(tmp=tmp) for a in args]
        try:
            r = subprocess.run(argv, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("%s did not exit: it accepted %r" % (prog.name, args))
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


OPTION_LINE = re.compile(r"  (?:-\w,|   ) --([a-z0-9-]+)(?= )")


def help_lines(prog):
    """(the help text, {option name: its line})"""
    rc, out, err = run(prog, "--help")
    assert rc == 0, (rc, out, err)
    assert err == ""
    assert out.startswith("usage: %s " % prog.name), out
    lines = {}
    for line in out.splitlines():
        m = OPTION_LINE.match(line)
        if m:
            assert m.group(1) not in lines, "listed twice: " + line
            lines[m.group(1)] = line
    return out, lines


def safe_without(prog, name):
    """prog.safe without the option `name` and its value."""
    s = list(prog.safe)
    if "--" + name in s:
        i = s.index("--" + name)
        del s[i:i + 2]
    return tuple(s)


def assert_usage_error(prog, args, *mentions, env=None, safe=None):
    safe = prog.safe if safe is None else safe
    rc, out, err = run(prog, *(safe + tuple(args)), env=env)
    assert rc == 2, (args, rc, out, err)
    assert out == "", (args, out)
    assert err.endswith("\n") and err.count("\n") == 1, (args, err)
    assert err.startswith(prog.name + ": "), (args, err)
    for m in mentions:
        assert m in err, (args, m, err)
    return err


@pytest.mark.parametrize("prog", PROGRAMS, ids=ids)
def test_help_lists_every_option(prog):
    out, lines = help_lines(prog)
    assert set(lines) == set(prog.options) | {"help"}, sorted(lines)
    for name in prog.numeric:
        assert "default: " in lines[name], lines[name]
    for name, var in prog.env.items():
        assert "env: %s" % var in lines[name], lines[name]
    for var in prog.env_only:
        assert any(line.split() and line.split()[0] == var for line in out.splitlines()), (var, out)
    assert SECRET not in out


@pytest.mark.parametrize("prog", PROGRAMS, ids=ids)
def test_help_short_form(prog):
    rc, out, err = run(prog, "-h")
    assert (rc, err) == (0, "")
    assert out == help_lines(prog)[0]


@pytest.mark.parametrize("prog", PROGRAMS, ids=ids)
def test_bad_numbers_exit_2(prog):
    for name in prog.numeric:
        for bad in BAD_NUMBERS:
            assert_usage_error(prog, ["--" + name, bad], "--%s: '%s'" % (name, bad))
        assert_usage_error(prog, ["--%s=two" % name], "--%s: 'two'" % name)


WITH_NUMERIC_ENV = [p for p in PROGRAMS if set(p.env) & set(p.numeric)]


@pytest.mark.parametrize("prog", WITH_NUMERIC_ENV, ids=[p.name for p in WITH_NUMERIC_ENV])
def test_bad_env_numbers_exit_2(prog):
    for name, var in prog.env.items():
        if name in prog.numeric:
            assert_usage_error(prog, [], "%s: 'two'" % var, env={var: "two"},
                               safe=safe_without(prog, name))


@pytest.mark.parametrize("prog", PROGRAMS, ids=ids)
def test_unknown_option_exit_2(prog):
    assert_usage_error(prog, ["--no-such-option"], "unknown option --no-such-option", "--help")
    assert_usage_error(prog, ["--no-such-option=1"], "unknown option --no-such-option")


@pytest.mark.parametrize("prog", PROGRAMS, ids=ids)
def test_missing_value_and_stray_argument_exit_2(prog):
    name = next(o for o in prog.options if o in prog.numeric)
    assert_usage_error(prog, ["--" + name], "--%s needs a value" % name)
    assert_usage_error(prog, ["stray"], "unexpected argument 'stray'")
    assert_usage_error(prog, ["--help=yes"], "--help takes no value")


def test_store_min_replicas_two_is_refused():
    """It once became K=0 (asynchronous replication) without a word."""
    store = next(p for p in PROGRAMS if p.name == "bardo-store")
    err = assert_usage_error(store, ["--min-replicas", "two"])
    assert err == "bardo-store: --min-replicas: 'two' is not a whole number in 0..7\n"
    assert_usage_error(store, ["--min-replicas", "8"], "'8' is not a whole number in 0..7")
    assert_usage_error(store, ["--role", "leader"], "--role: 'leader' is not one of primary, replica")


def test_load_url_and_files_are_checked():
    """A bad URL or an --ids-out or --events-out that cannot be opened is a usage error,
    found before any request leaves; the file is opened only once every
    other value is right."""
    load = next(p for p in PROGRAMS if p.name == "bardo-load")
    for url in ("http://127.0.0.1:99x", "http://127.0.0.1:0", "http://127.0.0.1:65536",
                "http://:9999", "http://127.0.0.1:"):
        assert_usage_error(load, ["--url", url], "--url: '%s' is not http://HOST:PORT" % url,
                           safe=())
    assert_usage_error(load, ["--ids-out", "/nonexistent-dir/ids"],
                       "--ids-out: cannot open '/nonexistent-dir/ids'", safe=())
    assert_usage_error(load, ["--events-out", "/nonexistent-dir/ev"],
                       "--events-out: cannot open '/nonexistent-dir/ev'", safe=())
    with tempfile.TemporaryDirectory(prefix="bardo-cli-") as tmp:
        ids = os.path.join(tmp, "ids")
        assert_usage_error(load, ["--ids-out", ids, "--scale", "0"], "--scale: '0'", safe=())
        assert not os.path.exists(ids)
        ev = os.path.join(tmp, "ev")
        assert_usage_error(load, ["--events-out", ev, "--time-scale", "0"], "--time-scale: '0'",
                           safe=())
        assert not os.path.exists(ev)


@pytest.mark.parametrize("name", ["bardo-api", "bardo-store"])
def test_tls_files_go_together_and_must_load(name):
    """Some of the three TLS files is a usage error; all three that do not
    load name the file and why, before anything listens."""
    prog = next(p for p in PROGRAMS if p.name == name)
    assert_usage_error(prog, ["--tls-ca", "/nonexistent/ca.crt"],
                       "--tls-ca, --tls-cert and --tls-key go together")
    assert_usage_error(prog, [], "--tls-ca, --tls-cert and --tls-key go together",
                       env={"BARDO_TLS_CERT": "/nonexistent/x.crt"})
    assert_usage_error(prog, ["--tls-ca", "/nonexistent/ca.crt", "--tls-cert", "/nonexistent/x.crt",
                              "--tls-key", "/nonexistent/x.key"], "/nonexistent/ca.crt")


@pytest.mark.parametrize("name", ["bardo-api", "bardo-store"])
def test_gflops_ms_is_parsed_strictly(name):
    """It was strtoul'd: "abc" meant 0 and "-1" four billion ms."""
    prog = next(p for p in PROGRAMS if p.name == name)
    for bad in ("abc", "-1", "10ms", "60001"):
        assert_usage_error(prog, [], "BARDO_GFLOPS_MS: '%s'" % bad, env={"BARDO_GFLOPS_MS": bad})
    out, _ = help_lines(prog)
    assert "BARDO_GFLOPS_MS" in out and "default: 30" in out.split("BARDO_GFLOPS_MS", 1)[1].split("\n")[0]


def test_store_secret_never_shown():
    store = next(p for p in PROGRAMS if p.name == "bardo-store")
    out, _ = help_lines(store)
    assert "BARDO_SECRET" in out and "(set)" in out and SECRET not in out
    err = assert_usage_error(store, ["--role", "replica"], "BARDO_SECRET",
                             env={"BARDO_SECRET": SECRET + " two-words"})
    assert SECRET not in err


@pytest.mark.parametrize("prog", PROGRAMS[:2], ids=ids[:2])
def test_credentials_required_and_checked(prog):
    """The store and the API refuse to start without credentials, with
    both a file and BARDO_SECRET, or with a file others can read; never
    printing a password."""
    assert_usage_error(prog, [], "no credentials: set BARDO_CREDENTIALS_FILE",
                       env={"BARDO_SECRET": ""})
    with tempfile.TemporaryDirectory(prefix="bardo-cli-") as tmp:
        path = os.path.join(tmp, "credentials")
        with open(path, "w") as f:
            f.write("api %s\nreplica %s\nadmin %s\n" % (SECRET, SECRET, SECRET))
        os.chmod(path, 0o644)
        err = assert_usage_error(prog, [], "is open to group or others (mode 0644): chmod 600",
                                 env={"BARDO_SECRET": "", "BARDO_CREDENTIALS_FILE": path})
        assert SECRET not in err
        os.chmod(path, 0o600)
        err = assert_usage_error(prog, [], "not both",
                                 env={"BARDO_CREDENTIALS_FILE": path})
        assert SECRET not in err
        with open(path, "w") as f:
            f.write("admin %s\n" % SECRET)
        if prog.name == "bardo-api":
            assert_usage_error(prog, [], "no password for the user api",
                               env={"BARDO_SECRET": "", "BARDO_CREDENTIALS_FILE": path})
