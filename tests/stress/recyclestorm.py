#!/usr/bin/env python3
"""recyclestorm: max_requests = 1, every connection is served by a fresh
worker, under load, for 10 s: not one failed connection."""

import re
import time

import pfd
from pfd import check
from load import Load

d = pfd.Daemon("recyclestorm", pfd.default_conf(workers=4, max_requests=1))
d.wait_workers(4)
t0 = time.monotonic()
with Load(d.port(), clients=8) as load:
    time.sleep(10)
elapsed = time.monotonic() - t0
time.sleep(0.5)
retired = len(re.findall(r"request cap reached after 1 connection\b",
                         d.log()))
pfd.log("recycle storm: %d exchanges in %.1f s (%.0f/s), %d workers "
        "retired, %d failed" % (load.ok, elapsed, load.ok / elapsed, retired,
                                 len(load.failures)))
check(not load.failures, "no failed connection: %s" % load.failures[:3])
check(retired >= load.ok - 8, "every connection had its own worker "
      "(%d retired for %d exchanges)" % (retired, load.ok))
check(d.stop() == 0, "clean stop")
