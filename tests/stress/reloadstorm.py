#!/usr/bin/env python3
"""reloadstorm: SIGHUP every 100 ms for 10 s, alternating two
configurations, under load: not one failed connection."""

import os
import re
import signal
import time

import pfd
from pfd import check
from load import Load

A = pfd.default_conf(workers=4)
B = pfd.default_conf(workers=6, read_timeout="30s")
d = pfd.Daemon("reloadstorm", A)
d.wait_workers(4)
with Load(d.port(), clients=8) as load:
    time.sleep(0.5)
    end = time.monotonic() + 10
    i = 0
    while time.monotonic() < end:
        d.write_conf(B if i % 2 == 0 else A)
        os.kill(d.pid, signal.SIGHUP)
        i += 1
        time.sleep(0.1)
    time.sleep(2)
done = len(re.findall(r"generation \d+ complete", d.log()))
pfd.log("reload storm: %d SIGHUPs, %d reloads run (the others merged), "
        "%d exchanges, %d failed" % (i, done, load.ok, len(load.failures)))
check(not load.failures, "no failed connection: %s" % load.failures[:3])
check(done >= 10, "reloads ran (%d)" % done)
check(load.ok > 1000, "%d exchanges" % load.ok)
check(d.stop() == 0, "clean stop")
