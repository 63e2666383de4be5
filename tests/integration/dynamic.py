#!/usr/bin/env python3
"""dynamic: with max_workers set, the pool keeps between min_spare and
max_spare idle workers: it grows under load (1, 2, 4 ... per second),
never past max_workers (logged), and shrinks one idle worker a second
when the load is gone; at rest the master wakes once a second at most."""

import re
import time

import pfd
# worker_connections = 1 where this test is about one connection per
# worker (tests/integration/mux.py covers many): PFD_WORKER_CONNECTIONS
# runs leave it so.
from pfd import check

d = pfd.Daemon("dynamic", pfd.default_conf(worker_connections=1,
    workers=2, max_workers=8, min_spare=2, max_spare=3, read_timeout="60s"))
port = d.port()
d.wait_workers(2)


# Hold connections open: each takes a worker.
held = []
for i in range(7):
    c = pfd.connect(port)
    held.append(c)
grown = pfd.wait_for(lambda: len(d.workers()) >= 8 and len(d.workers()),
                     timeout=15, what="the pool to grow to max_workers")
check(grown == 8, "the pool grew to max_workers (8) under load")
d.wait_log(r"max_workers \(8\) reached", timeout=10)
check(True, "reaching max_workers is logged")
steps = [int(x) for x in re.findall(r"idle of \d+: (\d+) more workers",
                                        d.log())]
want, target = [], 2
while target < 8:               # 1, 2, 4 ... capped by max_workers
    want.append(min(2 ** len(want), 8 - target))
    target += want[-1]
check(steps == want, "growth ramps up 1, 2, 4 ... to max_workers: %s "
      "(want %s)" % (steps, want))
for c in held:
    c.settimeout(10)
    check(c.recv(1) == b"*", "a held client is served once the pool grew")
for c in held:
    c.close()
shrunk = pfd.wait_for(lambda: len(d.workers()) <= 3 and len(d.workers()),
                      timeout=20, what="the pool to shrink")
check(shrunk <= 3, "without load it shrinks back to at most max_spare "
      "idle workers (%d)" % shrunk)
check("one worker less" in d.log() and "retired: too many idle workers"
      in d.log(), "idle workers are retired, one per second")

# At rest: at most one wakeup per second.
time.sleep(1)
rate = pfd.wakeups(d.pid, 5)
pfd.log("dynamic pool at rest: %.2f master wakeups per second" % rate)
check(rate <= 1.2, "the master wakes at most once a second at rest")
check(d.stop() == 0, "clean stop")

# A static pool at rest: the master does not wake at all.
d = pfd.Daemon("dynamic-static", pfd.default_conf(worker_connections=1, workers=4))
d.wait_workers(4)
time.sleep(0.5)
rate = pfd.wakeups(d.pid, 3)
pfd.log("static pool at rest: %.2f master wakeups per second" % rate)
check(rate == 0, "a static pool's master sleeps at rest (%d wakeups)"
      % (rate * 3))
check(d.stop() == 0, "clean stop")
