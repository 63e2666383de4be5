#!/usr/bin/env python3
"""logging: log_target = file gets the lines of the master and of every
worker, and -s reopen (SIGUSR1) moves both to a new file after a
rotation; log_level filters; stderr lines carry "<N>" priorities when
stderr is the systemd journal (JOURNAL_STREAM)."""

import os
import re
import signal
import subprocess

import pfd
from pfd import check

PREFORKD_TEST = os.environ["PREFORKD_TEST"]
orig = pfd.PREFORKD
pfd.PREFORKD = PREFORKD_TEST


def say(port, text):
    """Make a worker log a line (the logline test service)."""
    s = pfd.connect(port)
    s.sendall(text.encode() + b"\n")
    got = pfd.recv_exact(s, len(text) + 1)
    s.close()
    return got


d = pfd.Daemon("logging", pfd.default_conf(
    service="logline", workers=2, log_target="file",
    log_file='"@DIR@/file.log"'), start=False)
d.start(wait=False)
logfile = os.path.join(d.dir, "file.log")
pfd.wait_for(lambda: os.path.exists(logfile) and
             "listening on" in open(logfile).read(), what="the log file")
port = int(re.search(r"listening on 127.0.0.1:(\d+)",
                     open(logfile).read()).group(1))
d.wait_workers(2)
say(port, "before rotation")
pfd.wait_for(lambda: "logline: before rotation" in open(logfile).read(),
             what="a worker's line in the log file")
check(True, "a worker's lines reach the log file (through the master)")
check(logfile not in "".join(
    os.readlink("/proc/%d/fd/%s" % (w, f)) for w in d.workers()
    for f in os.listdir("/proc/%d/fd" % w)),
    "workers do not hold the log file")

os.rename(logfile, logfile + ".1")
r = subprocess.run([PREFORKD_TEST, "-s", "reopen", "-c", d.conf_path],
                   capture_output=True, text=True)
check(r.returncode == 0, "-s reopen")
pfd.wait_for(lambda: os.path.exists(logfile), what="the new log file")
say(port, "after rotation")
pfd.wait_for(lambda: "logline: after rotation" in open(logfile).read(),
             what="the worker's line in the new file")
new = open(logfile).read()
old = open(logfile + ".1").read()
check("log reopened" in new, "the master writes to the new file")
check("logline: after rotation" in new, "the workers' lines go to the new "
      "file")
check("after rotation" not in old, "nothing new goes to the old file")
d.stop()

# log_level = warning: no notices or infos, warnings yes.
d = pfd.Daemon("logging-level", pfd.default_conf(
    service="logline", workers=1, log_level="warning"), start=False)
d.start(wait=False)
pfd.wait_for(lambda: len(d.workers()) == 1, what="the worker")
w = d.workers()[0]
os.kill(w, signal.SIGKILL)
d.wait_log(r"warning: worker %d exited: killed by SIGKILL" % w)
check("listening on" not in d.log() and "started" not in d.log(),
      "log_level = warning drops notices")
d.stop()

# The journal: "<N>" priority prefixes instead of time stamps.
d = pfd.Daemon("logging-journal", pfd.default_conf(service="logline",
                                                   workers=1), start=False)
open(d.log_path, "w").close()
st = os.stat(d.log_path)
d.env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
d.start()
port = d.port()
say(port, "to the journal")
d.wait_log(r"logline: to the journal")
lines = [l for l in d.log().splitlines() if l]
check(all(re.match(r"<[0-7]>(master|worker \d+)\[\d+\]: ", l)
          for l in lines), "every line starts with <priority>process[pid]")
check(any(l.startswith("<5>master[") and "listening on" in l
          for l in lines), "notices are <5>")
check(any(l.startswith("<5>worker 0[") and "to the journal" in l
          for l in lines), "worker lines too")
d.stop()
