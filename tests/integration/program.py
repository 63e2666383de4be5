#!/usr/bin/env python3
"""program: service = program runs a long-running program per worker
slot, handed the listening socket by socket activation (LISTEN_FDS,
LISTEN_PID, LISTEN_FDNAMES); the programs accept in parallel.  Readiness
by READY=1 on NOTIFY_SOCKET (STATUS= shows in status) or by a delay;
a reload waits for the new programs to be ready and has no failed
connection under load; one whose programs never get ready is undone; a
program that crashes at start is backed off; programs are stopped with
program_stop_signal and recycled by age; SIGTTIN adds one.  A C worker
written against libsystemd runs unmodified."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import pfd
from pfd import check

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests",
                                "stress"))
import load  # noqa: E402

ROOT = pfd.is_root()
USER = 'user = "nobody"\n' if ROOT else ""
SRC = os.path.join(os.environ["top_srcdir"], "tests", "programs")
SDWORKER = os.path.join(os.environ["top_builddir"], "tests", "programs",
                        "sdworker")


def argv(*words):
    return "{ %s }" % ", ".join(json.dumps(w) for w in words)


d = pfd.Daemon("program", "", start=False)
worker = os.path.join(d.dir, "incrworker.py")
shutil.copy(os.path.join(SRC, "incrworker.py"), worker)
os.chmod(worker, 0o644)


def conf(*args, **opts):
    o = {"workers": 2, "service": '"program"',
         "program": argv("/usr/bin/python3", worker, *args),
         "program_ready": '"notify"', "graceful_timeout": "5s"}
    o.update(opts)
    return pfd.default_conf(**o) + USER


def reload(what):
    r = subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "reload (%s): %r" % (what, r.stdout + r.stderr))
    return r


# Socket activation, readiness by READY=1, incr served by both.
d.write_conf(conf("--tag", "one"))
d.start()
d.wait_log(r"ready: 2 workers", what="two ready programs")
pids = d.workers()
for p in pids:
    d.wait_log(r"LISTEN_FDS=1 LISTEN_PID=%d LISTEN_FDNAMES=127\.0\.0\.1_0 "
               r"pid=%d" % (p, p), what="program %d's LISTEN_*" % p)
check(True, "each program got LISTEN_FDS=1, its own LISTEN_PID, and "
      "LISTEN_FDNAMES")
for i in range(20):
    pfd.incr_session(d.port())
check(True, "the programs serve incr")
st = d.status()
check(st.count("one ") >= 2 and ("one served" in st or "one ready" in st),
      "status shows the programs' STATUS=: %r" % st)
check(d.proc.poll() is None and sorted(d.workers()) == sorted(pids),
      "the programs stay")

# A reload under load: the new programs take over, nothing fails.
d.write_conf(conf("--tag", "two", program_stop_signal='"INT"'))
with load.Load(d.port(), clients=4) as ld:
    time.sleep(0.5)
    reload("new programs")
    pfd.wait_for(lambda: not any(p in d.workers() for p in pids),
                 what="the old programs to be gone")
    time.sleep(0.5)
check(ld.ok > 20 and not ld.failures, "reload under load: %d sessions, "
      "failures %r" % (ld.ok, ld.failures[:3]))
check(len(re.findall(r"stopping on SIGTERM", d.log())) >= 2,
      "the old programs were stopped with program_stop_signal (TERM)")
check(re.search(r"program replaced by a reload: exited with status 0",
                d.log()), "their end is logged as a retirement")

# program_stop_signal = INT, and recycling by age.
pids = d.workers()
d.write_conf(conf("--tag", "three", program_stop_signal='"INT"',
                  max_worker_age="2s"))
reload("by age")
d.wait_log(r"stopping on SIGINT", count=2, what="INT to the old programs")
d.wait_log(r"retired: max_worker_age reached", timeout=15,
           what="a program recycled by age")
pfd.incr_session(d.port())

# SIGTTIN: one more program.
d.write_conf(conf("--tag", "four"))
reload("plain")
pfd.wait_for(lambda: len(d.workers()) == 2, what="two programs")
os.kill(d.pid, signal.SIGTTIN)
pfd.wait_for(lambda: len(d.workers()) == 3, what="a third program")
os.kill(d.pid, signal.SIGTTOU)
pfd.wait_for(lambda: len(d.workers()) == 2, what="back to two")

# A program that ignores the stop signal is killed at graceful_timeout.
stubborn = d.workers()
d.write_conf(conf("--ignore-term", graceful_timeout="2s"))
reload("programs ignoring SIGTERM")
d.write_conf(conf())
reload("the stubborn ones retired")
d.wait_log(r"program worker \d+ \(generation \d+\) still running after "
           r"graceful_timeout: SIGKILL", count=2, what="SIGKILL at "
           "graceful_timeout")
pfd.wait_for(lambda: len(d.workers()) == 2, what="two programs")

# Programs that never send READY=1: the reload is undone, and nobody but
# a program itself can say it is ready (a READY=1 from this test, sent to
# the socket named in a program's environment, is not heard).
old = d.workers()
d.write_conf(conf("--never-ready", program_start_timeout="1s"))
fake = {"sent": 0}


def forge():
    """Send READY=1 as a stranger to every new program's NOTIFY_SOCKET."""
    for p in d.workers():
        if p in old:
            continue
        try:
            with open("/proc/%d/environ" % p, "rb") as f:
                env = dict(v.split(b"=", 1) for v in f.read().split(b"\0")
                           if b"=" in v)
        except OSError:
            continue
        name = env.get(b"NOTIFY_SOCKET")
        if name:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.sendto(b"READY=1", b"\0" + name[1:])
            s.close()
            fake["sent"] += 1
    return fake["sent"] >= 2


reloading = subprocess.Popen([pfd.PREFORKD, "-s", "reload", "-c",
                              d.conf_path], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
pfd.wait_for(forge, timeout=10, what="forged READY=1 sent")
out = reloading.communicate(timeout=60)[0]
r = subprocess.CompletedProcess(reloading.args, reloading.returncode, out, "")
check(r.returncode != 0 and "did not start within graceful_timeout" in
      r.stdout + r.stderr, "a reload to programs never ready fails: %r"
      % (r.stdout + r.stderr))
check("sent no READY=1 within 1000 ms" in d.log(), "the start timeout is "
      "logged")
check(all(p in d.workers() for p in old), "the old programs serve on")
pfd.incr_session(d.port())

# A program that crashes at start is backed off; the master lives.
d.write_conf(conf("--crash-at-start"))
subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
               capture_output=True, text=True, timeout=60)
d.wait_log(r"workers keep dying", timeout=20, what="the back-off")
check(d.proc.poll() is None, "the master lives")
pfd.incr_session(d.port())

# Readiness by delay; and the sockets come as systemd passes them:
# blocking, no timeouts (read_timeout is preforkd's, a warning here): an
# idle program's accept(2) waits for ever.
d.write_conf(conf(program_ready='"delay"', program_ready_delay="300ms",
                  read_timeout="1s"))
r = reload("delay")
check("read_timeout: has no effect with service = program" in
      r.stdout + r.stderr,
      "read_timeout with programs: a warning")
pfd.wait_for(lambda: len(d.workers()) == 2, what="two programs")
idle = d.workers()
time.sleep(2.5)
check(d.workers() == idle, "idle programs are still there after 2.5 s")
pfd.incr_session(d.port())
check(d.stop() == 0, "clean stop")

# A C program written against libsystemd, unmodified.
if not os.path.exists(SDWORKER):
    pfd.log("SKIP part: built without libsystemd, no sdworker")
else:
    c = pfd.Daemon("program-sd", "", start=False)
    exe = os.path.join(c.dir, "sdworker")
    shutil.copy(SDWORKER, exe)
    os.chmod(exe, 0o755)
    c.write_conf(pfd.default_conf(workers=2, service='"program"',
                                  program=argv(exe),
                                  program_ready='"notify"') + USER)
    c.start()
    c.wait_log(r"ready: 2 workers", what="two sdworkers ready")
    for i in range(10):
        pfd.incr_session(c.port())
    check("sdworker served" in c.status() or "sdworker" in c.status(),
          "sd_notify STATUS= shows in status")
    check(c.stop() == 0, "clean stop")

# The README's example runs as printed.
with open(os.path.join(os.environ["top_srcdir"], "README.md")) as f:
    sect = f.read().split("\n## Your own service: a long-running "
                          "program\n", 1)[1]
blocks = re.findall(r"\n```(\w*)\n(.*?)\n```\n", sect, re.S)
code = [b for lang, b in blocks if lang == "python"][0] + "\n"
example = [b for lang, b in blocks if "service =" in b][0]
e = pfd.Daemon("program-readme", "", start=False)
script = os.path.join(e.dir, "echo.py")
with open(script, "w") as f:
    f.write(code)
os.chmod(script, 0o644)
e.write_conf(example.replace("/srv/echo.py", script) +
             "\nlisten = { \"127.0.0.1:0\" }\n" + USER)
e.start()
e.wait_log(r"ready: 4 workers", what="the README's programs ready")
s = pfd.connect(e.port())
s.sendall(b"ping\n")
check(pfd.recv_exact(s, 5) == b"ping\n", "the README's program example "
      "echoes")
s.close()
check(e.stop() == 0, "clean stop")
