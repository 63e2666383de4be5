#!/usr/bin/env python3
"""adversary: the worker user attacks the daemon (issue 8, A and B).

As root, with workers running as nobody, this test acts as nobody would:
from outside (as the worker user, in a directory the worker user owns,
which holds the unix socket, the pidfile, the control socket and the log
file: the worst layout an administrator could choose) and from inside a
worker (the `evil` test service, which forges events, writes raw stderr,
scribbles on its scoreboard slot, exits 78 after serving).  Then it
asserts that no root-owned file changed, no foreign process was
signalled, the process count stayed bounded, and the daemon kept
serving.  Each attack is one of the issue's findings; on the code before
the fix each of these checks failed."""

import json
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time

import pfd
from pfd import check

if not pfd.is_root():
    pfd.skip("needs root: the attacker is the worker user (nobody), the "
             "victim root")
try:
    nobody = pwd.getpwnam("nobody")
except KeyError:
    pfd.skip("no user nobody")
PREFORKD = os.environ["PREFORKD_TEST"]

base = tempfile.mkdtemp(prefix="adversary-", dir=os.path.join(
    os.environ.get("TMPDIR", "/tmp"), "preforkd-tests"))
os.chmod(base, 0o755)
W = os.path.join(base, "w")             # the worker user's directory
os.mkdir(W)
os.chown(W, nobody.pw_uid, nobody.pw_gid)
STICKY = os.path.join(base, "tmp")      # like /tmp
os.mkdir(STICKY)
os.chmod(STICKY, 0o1777)
CANARY = os.path.join(base, "root-only")
with open(CANARY, "w") as f:
    f.write("root only\n")
os.chmod(CANARY, 0o600)
victim = subprocess.Popen(["sleep", "600"])     # a root process


def canary():
    st = os.lstat(CANARY)
    return (stat.S_IMODE(st.st_mode), st.st_uid, open(CANARY).read())


CANARY0 = canary()


def as_nobody(fn):
    """Run fn() in a child as nobody; True if it returned normally."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            fn()
            os._exit(0)
        except BaseException as e:
            print("attacker: %r" % e, flush=True)
            os._exit(1)
    return os.waitpid(pid, 0)[1] == 0


def run(*args, env=None):
    return subprocess.run([PREFORKD] + list(args), capture_output=True,
                          text=True, timeout=60, env=env)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


CONF = os.path.join(base, "preforkd.conf")
LOG = os.path.join(W, "preforkd.log")


def conf(unix_mode="0666"):
    write(CONF, """service = evil
workers = 2
user = "nobody"
listen = { "127.0.0.1:0", "unix:%s/incr.sock" }
unix_mode = %s
pidfile = "%s/preforkd.pid"
log_target = file
log_file = "%s"
graceful_timeout = 2s
""" % (W, unix_mode, W, LOG))


def logtext():
    out = ""
    for name in sorted(os.listdir(W)):
        if name.endswith(".log"):
            with open(os.path.join(W, name), errors="replace") as f:
                out += f.read()
    return out


def workers():
    return [p for p in pfd.children(master.pid) if pfd.alive(p)]


def evil(cmd, until=None):
    s = pfd.connect(port)
    s.sendall(cmd.encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n") or (until and until not in buf):
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    s.close()
    return buf.decode(errors="replace")


try:
    conf()
    env = dict(os.environ, PREFORKD_SECRET="s3cr3t-token")
    master = subprocess.Popen([PREFORKD, "-f", "-c", CONF], env=env,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    pfd.wait_for(lambda: os.path.exists(LOG) and "ready:" in logtext(),
                 what="the daemon to be ready")
    port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)",
                         logtext()).group(1))
    pfd.wait_for(lambda: len(workers()) == 2, what="2 workers")

    # E25: the control socket is root's alone.
    ctl = os.path.join(W, "preforkd.ctl")
    check(stat.S_IMODE(os.lstat(ctl).st_mode) == 0o600,
          "the control socket is mode 0600")

    def connect_ctl():
        s = socket.socket(socket.AF_UNIX)
        s.connect(ctl)
    check(not as_nobody(connect_ctl), "the worker user cannot connect to "
          "the control socket")

    # B9: the master's secret does not reach the workers.
    out = evil("env", until=b".\n")
    check(out.endswith(".\n") and "s3cr3t" not in out and
          "PREFORKD_SECRET" not in out,
          "a worker does not see the master's environment: %r" % out)
    check(all(l.startswith("TZ=") for l in out.splitlines()[:-1]),
          "it gets worker_env only (TZ by default)")

    # B8: raw stderr cannot pass for the master.
    forged = ("\\x1b[31mmaster: reload: generation 99 accepting\\x0a"
              "2026-01-01 00:00:00.000 preforkd[1]: master: stopped\\x0a")
    check(evil("say " + forged).startswith("ok"), "a worker wrote forged "
          "lines to its stderr")
    pfd.wait_for(lambda: "generation 99" in logtext(), what="its output "
                 "in the log")
    text = logtext()
    check("\x1b" not in text, "no escape character reaches the log")
    lines = [l for l in text.splitlines()
             if "generation 99" in l or "preforkd[1]" in l]
    check(len(lines) == 2 and all(re.search(
        r" preforkd\[\d+\]: worker \d+: (warning: )?\\x1b\[31mmaster|"
        r" preforkd\[\d+\]: worker \d+: (warning: )?2026-01-01", l)
        for l in lines), "each forged line is tagged with the worker "
        "that wrote it: %s" % lines)

    # B7: a worker's scoreboard text cannot reach the admin's terminal.
    s = pfd.connect(port)
    s.sendall(b"scribble \\x1b[2J\\x0aworkers: 0 (target 0)\n")
    out = s.recv(64).decode()
    check(out.strip() == "ok 1", "a worker can write its own slot, and "
          "only its own (%s)" % out.strip())
    st = run("-c", CONF, "status").stdout
    js = run("-c", CONF, "status", "--json").stdout
    s.close()
    try:
        clients = [w["client"] for w in json.loads(js)["slots"]]
    except ValueError as e:
        clients = "invalid JSON: %s" % e
    check("\x1b[2J\nworkers: 0 (target 0)" in clients, "status --json "
          "is valid JSON, the client field escaped in it: %r" % clients)
    check("\x1b" not in st and not re.search(r"^workers: 0", st, re.M),
          "status prints it escaped:\n%s" % st)
    check("\\x1b[2J\\x0aworkers: 0" in st, "as \\xNN")
    check(re.search(r"^workers: 2 \(target 2\)", st, re.M),
          "the real count is intact")

    # B6: forged retirements cannot make the master fork without bound.
    out = evil("retire 100").split()
    check(out[0] == "ok" and int(out[1]) >= 1, "a worker sent 100 "
          "EV_RETIRING on every datagram socket it holds (%s)" % out)
    liar = int(out[2])
    most = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < 1.5:
        most = max(most, len(workers()))
        time.sleep(0.02)
    check(most <= 4, "at most one replacement for it: %d processes at "
          "most (2 workers)" % most)
    pfd.wait_for(lambda: not pfd.alive(liar), timeout=10, what="the "
                 "worker that said it retires to be ended after "
                 "graceful_timeout")
    pfd.wait_for(lambda: len(workers()) == 2, what="a pool of 2 again")
    check(True, "it was held to its word and the pool is 2 again")

    # B5: exit 78 after serving is a crash, not "stop the daemon".
    s = pfd.connect(port)
    s.sendall(b"exit 78\n")
    s.recv(16)
    s.close()
    pfd.wait_for(lambda: re.search(r"exited with status 78 after",
                                   logtext()), what="the exit logged")
    time.sleep(0.5)
    check(master.poll() is None, "the master keeps running")
    pfd.wait_for(lambda: len(workers()) == 2, what="2 workers")
    check(evil("env", until=b".\n").endswith(".\n"), "and serving")

    # Liars that keep coming (each new worker compromised in turn, each
    # saying once that it retires, and kept busy so that the next client
    # meets a fresh one): the pool stays within twice its size.
    most, liars, held = 0, set(), []
    t0 = time.monotonic()
    while time.monotonic() - t0 < 2:
        c = pfd.connect(port, timeout=0.3)
        held.append(c)
        try:
            c.sendall(b"retire 1\n")
            liars.add(c.recv(64).split()[2])
        except (OSError, IndexError):
            pass
        most = max(most, len(workers()))
    for c in held:
        c.close()
    check(most <= 4, "%d workers lied in 2 s: %d processes at most"
          % (len(liars), most))
    # (the liars, killed at their deadline, put the pool in a back-off)
    pfd.wait_for(lambda: len(workers()) == 2, timeout=40,
                 what="a pool of 2 again")

    # A1: a reload never chmods through a symlink planted as a socket.
    sock = os.path.join(W, "incr.sock")
    check(as_nobody(lambda: (os.unlink(sock), os.symlink(CANARY, sock))),
          "the worker user replaced the unix socket with a symlink to a "
          "root-only file")
    conf(unix_mode="0660")
    r = run("-s", "reload", "-c", CONF)
    check(r.returncode == 0 and "replaced" in r.stderr,
          "the reload works and warns that the socket was replaced: %r"
          % (r.stdout + r.stderr))
    check(canary() == CANARY0, "the root-only file is untouched: %s"
          % (canary(),))

    # A3: reopening the log never follows a planted symlink.
    def rotate():
        os.rename(LOG, os.path.join(W, "old.log"))
        os.symlink(CANARY, LOG)
    check(as_nobody(rotate), "after a rotation the worker user planted a "
          "symlink as the log file")
    check(run("-s", "reopen", "-c", CONF).returncode == 0, "-s reopen")
    pfd.wait_for(lambda: "still writing to the old file" in logtext(),
                 what="the refusal in the old log")
    check(canary() == CANARY0, "the root-only file is untouched")

    # A4: a control socket replaced by the worker user is not trusted.
    pidfile = os.path.join(W, "preforkd.pid")
    fake = os.path.join(W, "fake.ctl")

    def impostor():
        os.unlink(ctl)
        s = socket.socket(socket.AF_UNIX)
        s.bind(ctl)
        s.listen(4)
        os.set_inheritable(s.fileno(), True)
        if os.fork() == 0:
            s.settimeout(20)
            c, _ = s.accept()
            c.recv(64)
            c.sendall(b"ok generation 99\n")
            os._exit(0)
        write(fake, "up\n")
    check(as_nobody(impostor), "the worker user put its own server in "
          "place of the control socket")
    pfd.wait_for(lambda: os.path.exists(fake), what="the impostor")
    r = run("-s", "reload", "-c", CONF)
    check(r.returncode == 1 and "generation 99" not in r.stdout,
          "-s reload does not take the impostor's word: %s"
          % (r.stdout + r.stderr).strip())

    # A2: a pid planted in the pidfile is never signalled.
    pidfile = os.path.join(W, "preforkd.pid")

    def plant():
        os.unlink(pidfile)
        write(pidfile, "%d\n" % victim.pid)
    check(as_nobody(plant), "the worker user replaced the pidfile with the "
          "pid of a root process")
    r = run("-s", "stop", "-c", CONF)
    check(r.returncode == 1, "-s stop refuses: %s" % r.stderr.strip())
    r = run("-c", CONF, "status")
    check(r.returncode == 1, "status refuses too: %s" % r.stderr.strip())
    time.sleep(0.3)
    check(victim.poll() is None, "the root process was not signalled")
    check(master.poll() is None, "the master runs")
    out = evil("kill %d" % victim.pid)
    check(out.startswith("err"), "a worker cannot signal it either: %s"
          % out.strip())

    check(canary() == CANARY0 and victim.poll() is None,
          "in the end: no root file changed, no foreign process signalled")
    most = len(workers())
    check(most <= 4, "the pool is bounded (%d workers)" % most)
    master.send_signal(signal.SIGTERM)
    check(master.wait(15) == 0, "the master stops cleanly")

    # A2, at start: a pidfile planted in a world-writable directory.
    for kind in ("symlink", "file"):
        pid2 = os.path.join(STICKY, "%s.pid" % kind[0])
        if kind == "symlink":
            check(as_nobody(lambda: os.symlink(CANARY, pid2)),
                  "a symlink planted as the pidfile")
        else:
            check(as_nobody(lambda: write(pid2, "1\n")),
                  "a pidfile made by the worker user")
        write(CONF, 'service = evil\nuser = "nobody"\nlisten = { '
              '"127.0.0.1:0" }\npidfile = "%s"\n' % pid2)
        r = run("-f", "-c", CONF)
        # (with fs.protected_regular, the kernel refuses first)
        check(r.returncode == 1 and ("is a symlink" in r.stderr if kind ==
              "symlink" else "owned by uid %d" % nobody.pw_uid in r.stderr
              or "Permission denied" in r.stderr),
              "the start refuses it: %s" % r.stderr.strip())
        check(canary() == CANARY0, "the root-only file is untouched")

    # A4: a parent directory that is the worker user's symlink.
    link = os.path.join(W, "link")
    check(as_nobody(lambda: os.symlink(base, link)), "a symlinked parent")
    write(CONF, 'service = evil\nuser = "nobody"\nlisten = { "unix:%s/x.'
          'sock" }\npidfile = ""\n' % link)
    r = run("-f", "-c", CONF)
    check(r.returncode == 1 and "symlink owned by uid %d" % nobody.pw_uid
          in r.stderr, "is not followed: %s" % r.stderr.strip())
    check(not os.path.exists(os.path.join(base, "x.sock")),
          "nothing was made there")
finally:
    for p in list(pfd.children(os.getpid())):
        if p != victim.pid and pfd.alive(p):
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
    if victim.poll() is None:
        victim.kill()
    victim.wait()
    try:
        if master.poll() is None:
            for w in workers():
                os.kill(w, signal.SIGKILL)
            master.kill()
        out = master.stdout.read().decode(errors="replace")
        print("---- stderr ----\n" + out + "---- log ----\n" + logtext())
    except NameError:
        pass
    if os.environ.get("KEEP_TEST_DIRS") is None:
        shutil.rmtree(base, ignore_errors=True)
