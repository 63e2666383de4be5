#!/usr/bin/env python3
"""fdexhaust: workers out of descriptors (EMFILE) back off without a busy
loop for 10 s, and serve again once descriptors are free."""

import os
import resource
import time

import pfd
from pfd import check

pfd.PREFORKD = os.environ["PREFORKD_TEST"]
LIMIT = 7       # master: 0-5; each fdhog worker: 0-6 taken (see emfile.py)


def limit():
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, 64))


d = pfd.Daemon("fdexhaust", pfd.default_conf(workers=2, pidfile='""',
                                             service="fdhog"),
               preexec_fn=limit)
ws = d.wait_workers(2)
clients = [pfd.connect(d.port()) for _ in range(4)]
time.sleep(0.3)
cpu0 = sum(pfd.cpu_seconds(w) for w in ws) + pfd.cpu_seconds(d.pid)
t0 = time.monotonic()
time.sleep(10)
cpu = sum(pfd.cpu_seconds(w) for w in ws) + pfd.cpu_seconds(d.pid) - cpu0
el = time.monotonic() - t0
pfd.log("fd exhaustion: master and workers used %.3f s of CPU in %.1f s "
        "(%.2f%% of a core), %d log lines" % (
            cpu, el, 100 * cpu / el, d.log().count("Too many open files")))
check(cpu / el < 0.05, "no busy loop (%.2f%% of a core)" % (100 * cpu / el))
for w in ws:
    check(pfd.set_nofile(w, 64, 64), "worker %d may open 64 descriptors "
          "again" % w)
for c in clients:
    c.settimeout(10)
    check(pfd.recv_exact(c, 3) == b"ok\n", "a queued client is served once "
          "descriptors are free")
    c.close()
check(d.stop() == 0, "clean stop")
