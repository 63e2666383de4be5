#!/usr/bin/env python3
"""forkfail: when fork() fails (EAGAIN, here from RLIMIT_NPROC), the
master logs it, retries with an exponential back-off, and serves with the
workers it has."""

import os
import re
import resource
import time

import pfd
from pfd import check

if not pfd.is_root():
    pfd.skip("needs root to run the master as an unused uid with "
             "RLIMIT_NPROC (root itself is exempt from the limit)")
UID = 47123                 # no process of the machine runs as it


def limited():
    resource.setrlimit(resource.RLIMIT_NPROC, (3, 3))
    os.setgroups([])
    os.setgid(UID)
    os.setuid(UID)


d = pfd.Daemon("forkfail", pfd.default_conf(workers=4), start=False,
               preexec_fn=limited)
os.chmod(d.dir, 0o777)
d.start()
d.wait_log(r"fork, with 2 workers running \(next attempt in 1000 ms\): "
           r"Resource temporarily unavailable")
d.wait_log(r"next attempt in 2000 ms", timeout=10)
check(True, "fork failures are logged, with a growing back-off")
check(len(d.workers()) == 2, "the two workers that exist keep running")
for i in range(20):
    pfd.incr_session(d.port())
check(True, "and serve")
n = len(re.findall(r"fork, with", d.log()))
time.sleep(2)
check(len(re.findall(r"fork, with", d.log())) <= n + 1, "no retry storm")
check(d.stop() == 0, "clean stop")
