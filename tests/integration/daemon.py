#!/usr/bin/env python3
"""daemon: the pidfile (locked, refused twice, removed at exit), preforkd
-s stop|quit|reload|reopen through it (and clear failures without a
daemon), and daemon mode (detached, stdio on /dev/null)."""

import os
import signal
import subprocess
import time

import pfd
from pfd import check


def run(*args):
    return subprocess.run([pfd.PREFORKD] + list(args), capture_output=True,
                          text=True, timeout=20)


d = pfd.Daemon("daemon", pfd.default_conf(workers=2))
pid_path = d.pidfile
pfd.wait_for(lambda: os.path.exists(pid_path) and
             open(pid_path).read().strip(), what="the pidfile")
check(int(open(pid_path).read()) == d.pid, "the pidfile holds the master pid")

# A second instance with the same pidfile is refused before binding.
r = run("-f", "-c", d.conf_path)
check(r.returncode == 1, "a second instance exits 1")
check("already running, pid %d" % d.pid in r.stderr,
      "and says 'already running, pid %d': %s" % (d.pid, r.stderr.strip()))
check("listening" not in r.stderr, "it bound nothing")

# -s reopen, reload: the master receives them.
r = run("-s", "reopen", "-c", d.conf_path)
check(r.returncode == 0, "-s reopen exits 0")
d.wait_log(r"SIGUSR1: log reopened")
r = run("-s", "reload", "-c", d.conf_path)
check(r.returncode == 0 and "ok generation 2" in r.stdout,
      "-s reload waits for the verdict: %r" % r.stdout)
d.wait_log(r"reload: generation 2 accepting")
check(d.proc.poll() is None, "the master is still running")
r = run("-s", "bogus", "-c", d.conf_path)
check(r.returncode == 64 and "unknown signal" in r.stderr,
      "-s with an unknown signal exits 64")

# -s stop: the master exits 0 and removes its pidfile.
r = run("-s", "stop", "-c", d.conf_path)
check(r.returncode == 0, "-s stop exits 0")
check(d.proc.wait(10) == 0, "the master exits 0")
check(not os.path.exists(pid_path), "the pidfile is removed at exit")

# With no daemon: clear failures.
r = run("-s", "stop", "-c", d.conf_path)
check(r.returncode == 1 and "not running" in r.stderr,
      "-s stop without a daemon fails clearly: %s" % r.stderr.strip())
with open(pid_path, "w") as f:
    f.write("%d\n" % os.getpid())     # unlocked: stale, whatever it says
r = run("-s", "reload", "-c", d.conf_path)
check(r.returncode == 1 and "stale pidfile" in r.stderr,
      "a stale pidfile is recognised: %s" % r.stderr.strip())
os.unlink(pid_path)
r = run("-s", "reopen", "-c", d.conf_path, "-p", os.path.join(d.dir, "x"))
check(r.returncode == 1 and "not running" in r.stderr,
      "-p overrides the pidfile for -s")

# -p overrides the configured pidfile for the daemon too.
alt = os.path.join(d.dir, "alt", "run", "p.pid")
d2 = pfd.Daemon("daemon-p", pfd.default_conf(workers=1),
                args=["-p", alt])
pfd.wait_for(lambda: os.path.exists(alt), what="the -p pidfile (and its "
             "directories)")
check(int(open(alt).read()) == d2.pid, "-p: pidfile written where asked")
check(d2.stop() == 0 and not os.path.exists(alt), "and removed at exit")

# Daemon mode: the parent returns 0, the master is detached.
d3 = pfd.Daemon("daemon-bg", pfd.default_conf(workers=2,
                log_target="file", log_file='"@DIR@/bg.log"'), start=False)
r = subprocess.run([pfd.PREFORKD, "-c", d3.conf_path], capture_output=True,
                   text=True, timeout=20)
check(r.returncode == 0, "without -f the command returns 0 (%s)"
      % r.stderr.strip())
pfd.wait_for(lambda: os.path.exists(d3.pidfile) and
             open(d3.pidfile).read().strip(), what="the daemon's pidfile")
master = int(open(d3.pidfile).read())
d3.seen_workers.add(master)     # cleanup kills it by pid if need be
with open("/proc/%d/stat" % master) as f:
    stat = f.read().rsplit(")", 1)[1].split()
ppid, sid, tty = int(stat[1]), int(stat[3]), int(stat[4])
check(ppid != os.getpid(), "the master is not our child (ppid %d)" % ppid)
check(sid != os.getsid(0) and sid != master,
      "it runs in a new session it does not lead (sid %d)" % sid)
check(tty == 0, "it has no controlling terminal")
for fd in (0, 1, 2):
    check(os.readlink("/proc/%d/fd/%d" % (master, fd)) == "/dev/null",
          "its fd %d is /dev/null" % fd)
check(os.readlink("/proc/%d/cwd" % master) == "/", "its cwd is /")
pfd.wait_for(lambda: len([p for p in pfd.children(master)
                          if pfd.alive(p)]) == 2, what="2 workers")
port = None
def listening():
    global port
    with open(os.path.join(d3.dir, "bg.log")) as f:
        for line in f:
            if "listening on 127.0.0.1:" in line:
                port = int(line.rsplit(":", 1)[1])
    return port
pfd.wait_for(listening, what="the address in the log file")
pfd.incr_session(port)
check(True, "the detached daemon serves")
r = run("-s", "stop", "-c", d3.conf_path)
check(r.returncode == 0, "-s stop stops it")
pfd.wait_for(lambda: not pfd.alive(master), what="the master to exit")
check(not os.path.exists(d3.pidfile), "pidfile removed")
