#!/usr/bin/env python3
"""reloadfail: a configuration that passes the checks but whose workers
cannot start (here a service that aborts at start) does not take the
service down: the old generation serves until the new one accepts (its
workers that reach the request cap meanwhile are replaced), the reload
fails after graceful_timeout, is undone, and says so; the old
generation then goes on as the current one (recycled workers are
replaced); the next good reload works."""

import os
import re
import subprocess
import time

import pfd
from pfd import check

pfd.PREFORKD = os.environ["PREFORKD_TEST"]
GOOD = pfd.default_conf(workers=3, max_requests=20, graceful_timeout="2s")
# (another size: the undo must restore the old generation's)
BAD = pfd.default_conf(workers=5, service="crash", graceful_timeout="2s")

d = pfd.Daemon("reloadfail", GOOD)
port = d.port()
old = sorted(d.wait_workers(3))
d.write_conf(BAD)
proc = subprocess.Popen([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        text=True)
served = before_undo = 0
while proc.poll() is None:
    pfd.incr_session(port)          # the old generation serves meanwhile
    served += 1
    if "reload failed" not in d.log():
        before_undo = served
out, err = proc.communicate()
# max_requests = 20: the 3 first workers alone serve 60 sessions at most;
# more before the undo means the old generation's recycled workers were
# replaced during the reload.
check(before_undo > 3 * 20, "%d sessions served by the old generation "
      "while the new one failed to start (%d in all): its recycled workers "
      "were replaced" % (before_undo, served))
check(proc.returncode == 1 and "generation 2 did not start within "
      "graceful_timeout" in err, "-s reload fails and says why: %r"
      % err.strip())
d.wait_log(r"reload failed: generation 2 did not start within "
           r"graceful_timeout; back to generation 1")
check(True, "the master logs the failure and the way back")
# Workers of generation 2 still starting when the reload is undone are
# told to go (1 s grace, then SIGTERM): wait for them, do not race them.
pfd.wait_for(lambda: d.workers() and all("gen 1" in pfd.cmdline(w)
                                         for w in d.workers()),
             timeout=5.0, what="generation 2 workers to be gone")
check(True, "only generation 1 workers remain")
# The old generation is current again: its recycled workers are replaced.
for i in range(100):
    pfd.incr_session(port)
d.wait_workers(3)
check(len(re.findall(r"request cap reached after", d.log())) >= 3,
      "old workers were recycled after the failed reload")
check(not set(d.workers()) & set(old), "and replaced: 3 workers, all new")
pfd.wait_for(lambda: all("gen 1" in pfd.cmdline(w) for w in d.workers()),
             timeout=5.0, what="the new workers to show generation 1")
check(True, "as generation 1")

d.write_conf(GOOD.replace("workers = 3", "workers = 2"))
r = subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
                   capture_output=True, text=True, timeout=30)
check(r.returncode == 0 and "ok generation 2" in r.stdout,
      "the next good reload works: %r" % r.stdout.strip())
pfd.incr_session(port)
check(d.stop() == 0, "clean stop")
