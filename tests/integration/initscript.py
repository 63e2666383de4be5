#!/usr/bin/env python3
"""initscript: contrib/init.d/preforkd starts, reports, reloads, reopens
and stops the daemon without systemd, refuses a bad configuration; the
logrotate snippet rotates the log and the daemon follows (when logrotate
is installed)."""

import os
import re
import shutil
import subprocess

import pfd
from pfd import check

top = os.environ["top_srcdir"]
script = os.path.join(top, "contrib", "init.d", "preforkd")
d = pfd.Daemon("initscript", pfd.default_conf(
    workers=2, log_target="file", log_file='"@DIR@/file.log"'), start=False)
logfile = os.path.join(d.dir, "file.log")
env = dict(os.environ, DAEMON=pfd.PREFORKD, CONF=d.conf_path,
           PIDFILE=d.pidfile, DEFAULTS="/nonexistent", STOP_TIMEOUT="10")


def rc(action, conf=None):
    e = dict(env, CONF=conf) if conf else env
    r = subprocess.run(["sh", script, action], env=e, capture_output=True,
                       text=True, timeout=60)
    pfd.log("%s -> %d: %s" % (action, r.returncode,
                              (r.stdout + r.stderr).strip()))
    return r


check(rc("status").returncode == 3, "status before start: 3 (not running)")
check(rc("start").returncode == 0, "start")
pfd.wait_for(lambda: os.path.exists(d.pidfile) and
             open(d.pidfile).read().strip(), what="the pidfile")
master = int(open(d.pidfile).read())
d.seen_workers.add(master)
r = rc("status")
check(r.returncode == 0 and "running (pid %d)" % master in r.stdout,
      "status: running, with its pid")
check(rc("start").returncode == 0 and pfd.alive(master),
      "start again: already running, nothing changes")
pfd.wait_for(lambda: os.path.exists(logfile) and "listening on" in
             open(logfile).read(), what="the log")
port = int(re.search(r"listening on 127.0.0.1:(\d+)",
                     open(logfile).read()).group(1))
pfd.incr_session(port)
check(rc("reload").returncode == 0, "reload")
pfd.wait_for(lambda: "generation 2 accepting" in open(logfile).read(),
             what="the reload")
check(rc("reopen").returncode == 0, "reopen")
pfd.wait_for(lambda: "log reopened" in open(logfile).read(),
             what="the reopen")

logrotate = shutil.which("logrotate") or (
    "/usr/sbin/logrotate" if os.path.exists("/usr/sbin/logrotate") else None)
if logrotate is None:
    pfd.log("note: logrotate is not installed: the snippet is not run")
else:
    snippet = open(os.path.join(top, "contrib", "logrotate",
                                "preforkd")).read()
    snippet = snippet.replace("/var/log/preforkd.log", logfile)
    snippet = snippet.replace("/usr/sbin/preforkd -s reopen",
                              "%s -s reopen -c %s" % (pfd.PREFORKD,
                                                      d.conf_path))
    snippet = snippet.replace("create 0640 root adm", "create 0640")
    snippet = snippet.replace(">/dev/null 2>&1 || true", "")
    conf = os.path.join(d.dir, "logrotate.conf")
    with open(conf, "w") as f:
        f.write(snippet)
    r = subprocess.run([logrotate, "-f", "-s", os.path.join(d.dir, "state"),
                        conf], capture_output=True, text=True)
    check(r.returncode == 0, "logrotate -f with the snippet: %s"
          % (r.stdout + r.stderr).strip())
    check(os.path.exists(logfile + ".1"), "the log was rotated")
    pfd.wait_for(lambda: os.path.exists(logfile) and "log reopened" in
                 open(logfile).read(), what="the daemon to reopen its log")
    pfd.incr_session(port)
    check(True, "the daemon writes to the new file after logrotate")

check(rc("stop").returncode == 0, "stop")
check(not pfd.alive(master), "the master is gone")
check(not os.path.exists(d.pidfile), "the pidfile is gone")
check(rc("status").returncode == 3, "status after stop: 3")
check(rc("stop").returncode == 0, "stop when stopped: 0 (LSB)")

bad = os.path.join(d.dir, "bad.conf")
with open(bad, "w") as f:
    f.write("workers = lots\n")
r = rc("start", conf=bad)
check(r.returncode == 6 and "workers: invalid number" in r.stderr,
      "start with a bad configuration: exit 6 and the error shown")
check(not os.path.exists(d.pidfile), "nothing was started")
