#!/usr/bin/env python3
"""recycle: workers retire after max_worker_age (an idle one at once) and
past max_worker_rss, after finishing their connection; a worker that
knows its connection is its last has its replacement started before it
exits."""

import re
import time

import pfd
from pfd import check

# Age: 1 s, no jitter; idle workers leave by themselves.
d = pfd.Daemon("recycle-age", pfd.default_conf(workers=2,
                                               max_worker_age="1s"))
first = set(d.wait_workers(2))
d.wait_log(r"exited: max_worker_age reached", count=4, timeout=15)
now = set(d.wait_workers(2))
check(not (first & now), "idle workers were replaced after their age")
check(d.stop() == 0, "clean stop")

# Age while busy: the connection in progress is finished first.
d = pfd.Daemon("recycle-age-busy", pfd.default_conf(
    workers=1, max_worker_age="1s", read_timeout="30s"))
c = pfd.connect(d.port())
pfd.recv_exact(c, 1)
time.sleep(2)
c.sendall(b"^late$")
check(pfd.recv_exact(c, 4) == b"mbuf", "a worker past its age still serves "
      "its connection")
c.close()
d.wait_log(r"exited: max_worker_age reached after 1 connection\b")
check(True, "then retires")
check(d.stop() == 0, "clean stop")

# Memory: any worker is above 1 KiB: each serves one connection.
d = pfd.Daemon("recycle-rss", pfd.default_conf(workers=2,
                                               max_worker_rss="1K"))
for i in range(10):
    pfd.incr_session(d.port())
d.wait_log(r"exited: max_worker_rss exceeded after 1 connection\b", count=8)
check(True, "max_worker_rss: workers retire after the connection that "
      "crossed it")
check(d.stop() == 0, "clean stop")

# The replacement starts before the retiring worker exits: with one
# worker and max_requests = 1, two workers are briefly alive.
d = pfd.Daemon("recycle-early", pfd.default_conf(
    workers=1, max_requests=1, read_timeout="30s"))
w = d.wait_workers(1)[0]
c = pfd.connect(d.port())
pfd.recv_exact(c, 1)                  # the worker's last connection
both = pfd.wait_for(lambda: len(d.workers()) == 2 and d.workers(),
                    what="the replacement while the last connection is "
                    "open")
check(w in both, "the replacement runs while the retiring worker still "
      "serves its last connection")
pfd.incr_session(d.port())
check(True, "and it serves meanwhile")
c.sendall(b"^x$")
check(pfd.recv_exact(c, 1) == b"y", "the last connection completes")
c.close()
d.wait_log(r"worker %d exited: request cap reached after 1 connection\b" % w)
check(d.stop() == 0, "clean stop")
