#!/usr/bin/env python3
"""crashloop: workers that die at start put the pool into an exponential
back-off (logged once per step, the master never spins); a reload to a
good configuration ends it at once; status and metrics show it."""

import json
import os
import re
import subprocess
import time

import pfd
from pfd import check

pfd.PREFORKD = os.environ["PREFORKD_TEST"]
d = pfd.Daemon("crashloop", pfd.default_conf(service="crash", workers=2))
d.wait_log(r"next start in 1000 ms")
d.wait_log(r"next start in 2000 ms", timeout=15)
t0, cpu0 = time.monotonic(), pfd.cpu_seconds(d.pid)
lines0 = len(d.log().splitlines())
time.sleep(5)
elapsed = time.monotonic() - t0
cpu = pfd.cpu_seconds(d.pid) - cpu0
lines = len(d.log().splitlines()) - lines0
pfd.log("crash loop: master CPU %.3f s over %.1f s (%.1f%%), %d log lines "
        "(%.0f per minute)" % (cpu, elapsed, 100 * cpu / elapsed, lines,
                               lines * 60 / elapsed))
check(cpu < 0.5, "the master does not spin in a crash loop")
check(lines * 60 / elapsed < 100, "the log stays readable: %d lines in "
      "%.1f s" % (lines, elapsed))
steps = [int(x) for x in re.findall(r"next start in (\d+) ms", d.log())]
check(steps == sorted(steps) and len(set(steps)) == len(steps),
      "one log line per back-off step, the delay growing: %s" % steps)

r = subprocess.run([pfd.PREFORKD, "-c", d.conf_path, "status", "--json"],
                   capture_output=True, text=True)
st = json.loads(r.stdout)
check(st["crash_backoff_seconds"] >= 1, "status shows the back-off: %.1f s"
      % st["crash_backoff_seconds"])
check(st["exits"]["crash"] >= 5, "and counts the crashes: %d"
      % st["exits"]["crash"])

d.write_conf(pfd.default_conf(service="incr", workers=2))
r = subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
                   capture_output=True, text=True, timeout=30)
check(r.returncode == 0, "a reload to a good configuration: %s"
      % r.stdout.strip())
check("back-off ended by the reload" in d.log(), "ends the back-off at once")
pfd.incr_session(d.port())
check(True, "and the service is back")
check(d.stop() == 0, "clean stop")
