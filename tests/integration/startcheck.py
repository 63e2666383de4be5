#!/usr/bin/env python3
"""startcheck: if -t says OK, it serves; if a command exits 0, the daemon
runs (issue 8, C and D).  A detached start that cannot work says why on
the terminal and exits non-zero; two instances never share a control
socket; relative paths keep working after the daemon leaves its
directory; values that pass the syntax but cannot serve are refused with
FILE:LINE; a FIFO never hangs the master; silent control clients cannot
lock out `status`; a reload's verdict carries its warnings; --help,
--version and options after `status` work."""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pfd
from pfd import check

tmp = tempfile.mkdtemp(prefix="startcheck-", dir=os.path.join(
    os.environ.get("TMPDIR", "/tmp"), "preforkd-tests"))
os.chmod(tmp, 0o755)
started = []            # masters to stop, by pid


def run(*args, cwd=None, timeout=30):
    return subprocess.run([pfd.PREFORKD] + list(args), capture_output=True,
                          text=True, timeout=timeout, cwd=cwd)


def write(name, text):
    p = os.path.join(tmp, name)
    with open(p, "w") as f:
        f.write(text)
    return p


def pidof(pidfile):
    try:
        return int(open(pidfile).read())
    except (OSError, ValueError):
        return None


def stop(pidfile):
    pid = pidof(pidfile)
    if pid and pfd.alive(pid):
        kids = pfd.children(pid)
        os.kill(pid, signal.SIGTERM)
        pfd.wait_for(lambda: not pfd.alive(pid), what="master %d" % pid)
        for k in kids:
            if pfd.alive(k):
                os.kill(k, signal.SIGKILL)


try:
    # C10: a detached start with the port taken fails on the terminal.
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    taken = write("taken.conf", 'listen = { "127.0.0.1:%d" }\nworkers = 1\n'
                  'pidfile = "%s/taken.pid"\nlog_target = syslog\n'
                  % (busy.getsockname()[1], tmp))
    r = run("-c", taken)
    check(r.returncode == 1 and "taken.conf:1: listen: bind 127.0.0.1:%d: "
          "Address already in use" % busy.getsockname()[1] in r.stderr,
          "a detached start that cannot bind exits 1 and says why, with "
          "FILE:LINE, on the terminal: %r" % r.stderr.strip())
    check(pidof(os.path.join(tmp, "taken.pid")) is None, "and leaves no "
          "daemon, no pidfile")
    busy.close()

    # C10: workers that cannot start: the detached start fails too.
    if "PREFORKD_TEST" in os.environ:
        crash = write("crash.conf", 'service = crash\nlisten = { '
                      '"127.0.0.1:0" }\nworkers = 1\ngraceful_timeout = 2s\n'
                      'pidfile = "%s/crash.pid"\nlog_target = syslog\n' % tmp)
        r = subprocess.run([os.environ["PREFORKD_TEST"], "-c", crash],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 1 and "did not reach accept(2) within "
              "graceful_timeout" in r.stderr, "a detached start whose "
              "workers never accept exits 1 and says so: %r"
              % r.stderr.strip())
        pfd.wait_for(lambda: pidof(os.path.join(tmp, "crash.pid")) is None,
                     what="its daemon to be gone")

    # C12: relative -c and -p, detached: reloads still find the file.
    rel = write("rel.conf", 'listen = { "127.0.0.1:0" }\nworkers = 1\n'
                'log_target = file\nlog_file = "%s/rel.log"\n' % tmp)
    r = run("-c", "rel.conf", "-p", "rel.pid", cwd=tmp)
    relpid = os.path.join(tmp, "rel.pid")
    check(r.returncode == 0 and pidof(relpid), "a detached start with a "
          "relative -c and -p: %r" % r.stderr.strip())
    check(not re.search(r"warning|error", r.stderr), "says nothing when it "
          "works: %r" % r.stderr)
    r = run("-c", "rel.conf", "-p", "rel.pid", "-s", "reload", cwd=tmp)
    check(r.returncode == 0 and "ok generation 2" in r.stdout,
          "its reload finds the file after the daemon went to /: %r"
          % (r.stdout + r.stderr))
    check(pfd.alive(pidof(relpid)), "the daemon runs")

    # C11: two instances, two pidfiles: two control sockets.
    conf_a = write("a.conf", 'listen = { "127.0.0.1:0" }\nworkers = 1\n'
                   'pidfile = "%s/a.pid"\n' % tmp)
    conf_b = write("b.conf", 'listen = { "127.0.0.1:0" }\nworkers = 2\n'
                   'pidfile = "%s/b.pid"\n' % tmp)
    check(run("-c", conf_a).returncode == 0, "instance a starts")
    r = run("-c", conf_b)
    check(r.returncode == 0, "instance b starts: %r" % r.stderr.strip())
    check(os.path.exists(os.path.join(tmp, "a.ctl")) and
          os.path.exists(os.path.join(tmp, "b.ctl")),
          "each has its control socket, named after its pidfile")
    sa = run("-c", conf_a, "status").stdout
    sb = run("-c", conf_b, "status").stdout
    check("pid %d," % pidof(os.path.join(tmp, "a.pid")) in sa and
          "pid %d," % pidof(os.path.join(tmp, "b.pid")) in sb,
          "status of each reaches its own master")

    # C16: silent control clients do not lock `status` out.
    ctl = os.path.join(tmp, "a.ctl")
    silent = []
    for i in range(30):
        s = socket.socket(socket.AF_UNIX)
        s.connect(ctl)
        silent.append(s)
    time.sleep(0.2)
    r = run("-c", conf_a, "status")
    check(r.returncode == 0 and "workers: 1" in r.stdout,
          "status works with 30 silent clients connected: %r"
          % r.stderr.strip())
    t0 = time.monotonic()
    kept = 0
    for s in silent:            # 8 fit: a new one took an old one's place
        s.settimeout(max(0.1, t0 + 9 - time.monotonic()))
        try:
            gone = s.recv(1) == b""
            kept += time.monotonic() - t0 > 1
        except socket.timeout:
            gone = False
        except ConnectionResetError:
            gone = True
        s.close()
        if not gone:
            break
    check(gone and kept >= 1, "every silent client is hung up on "
          "within 9 s, %d of them after the idle time (%.1f s)"
          % (kept, time.monotonic() - t0))

    # D20: a reload's verdict carries its warnings.
    with open(conf_a, "a") as f:
        f.write("max_requests_jitter = 5\n")
    with open(conf_a) as f:
        text = f.read()
    with open(conf_a, "w") as f:
        f.write(text.replace("a.pid", "a2.pid"))
    r = run("-c", conf_a, "-p", os.path.join(tmp, "a.pid"), "-s", "reload")
    check(r.returncode == 0 and r.stdout.startswith("ok generation 2"),
          "the reload works: %r" % r.stdout)
    check("max_requests_jitter: has no effect" in r.stderr and
          "pidfile: changes need a restart" in r.stderr,
          "and its verdict has the warnings: %r" % r.stderr)

    # C15: a FIFO as the configuration: refused, never waited on.
    fifo = os.path.join(tmp, "fifo.conf")
    os.mkfifo(fifo)
    r = run("-t", "-c", fifo, timeout=10)
    check(r.returncode == 78 and "not a regular file" in r.stderr,
          "-t refuses a FIFO at once")
    os.unlink(conf_b)
    os.mkfifo(conf_b)
    r = run("-c", conf_b, "-p", os.path.join(tmp, "b.pid"), "-s", "reload",
            timeout=10)
    check(r.returncode == 1 and "not a regular file" in r.stderr,
          "a reload refuses it, and answers: %r" % r.stderr.strip())
    r = run("-c", conf_b, "-p", os.path.join(tmp, "b.pid"), "status",
            timeout=10)
    check(r.returncode == 0 and "workers: 2" in r.stdout,
          "the master still answers")

    # C13, C14, C17: values that cannot serve are refused by -t.
    for text, want in (
            ("worker_rlimit_nofile = 5\n", ":1: worker_rlimit_nofile: 5 "
             "leaves a worker too few descriptors"),
            ("graceful_timeout = 0\n", ":1: graceful_timeout: must be more "
             "than 0"),
            ('\nlisten = { "192.0.2.1:80" }\n', ":2: listen: 192.0.2.1:80: "
             "not an address of this host")):
        p = write("refused.conf", text)
        r = run("-t", "-c", p)
        check(r.returncode == 78 and p + want in r.stderr,
              "-t refuses %r: %s" % (text.strip(), r.stderr.strip()))

    # D23: --help, --version, options after `status`, plurals.
    r = run("--help")
    check(r.returncode == 0 and r.stdout.startswith("usage:"), "--help")
    r = run("--version")
    check(r.returncode == 0 and r.stdout.startswith("preforkd "),
          "--version")
    r = run("status", "-c", conf_a, "-p", os.path.join(tmp, "a.pid"))
    check(r.returncode == 0 and "workers: 1" in r.stdout,
          "options after status: %r" % r.stderr.strip())
    r = run("status", "--json", "-c", conf_a, "-p",
            os.path.join(tmp, "a.pid"))
    check(r.returncode == 0 and r.stdout.startswith("{"),
          "status --json -c FILE")
    log = open(os.path.join(tmp, "rel.log")).read()
    check("started: service incr, 1 worker," in log and
          "ready: 1 worker\n" in log, "one worker, not '1 workers'")
finally:
    for name in ("rel.pid", "a.pid", "b.pid", "taken.pid", "crash.pid"):
        stop(os.path.join(tmp, name))
    if os.environ.get("KEEP_TEST_DIRS") is None:
        shutil.rmtree(tmp, ignore_errors=True)
