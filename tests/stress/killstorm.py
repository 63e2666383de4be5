#!/usr/bin/env python3
"""killstorm: a random worker gets SIGKILL every 20 ms for 10 s under
load; only connections on killed workers may fail (at most one per
kill), and the pool recovers to its size."""

import os
import random
import signal
import time

import pfd
from pfd import check
from load import Load

d = pfd.Daemon("killstorm", pfd.default_conf(workers=8))
d.wait_workers(8)
kills = 0
with Load(d.port(), clients=8) as load:
    time.sleep(0.5)
    end = time.monotonic() + 10
    while time.monotonic() < end:
        w = d.workers()
        if w:
            try:
                os.kill(random.choice(w), signal.SIGKILL)
                kills += 1
            except ProcessLookupError:
                pass
        time.sleep(0.02)
    time.sleep(1)
pfd.log("kill storm: %d kills in 10 s, %d exchanges, %d failed"
        % (kills, load.ok, len(load.failures)))
check(kills > 100, "the storm killed %d workers" % kills)
check(len(load.failures) <= kills, "failures (%d) are at most one per kill "
      "(%d)" % (len(load.failures), kills))
check(load.ok > 1000, "service went on through the storm (%d exchanges)"
      % load.ok)
d.wait_workers(8, timeout=30)
check(True, "the pool is back to 8 workers")
for i in range(50):
    pfd.incr_session(d.port())
check(d.stop() == 0, "clean stop")
