#!/usr/bin/env python3
"""maxreq: with max_requests = 50, 10,000 sequential connections all get
their full answer while workers retire at their cap and are replaced;
max_requests_jitter spreads the caps within their bounds."""

import re

import pfd
from pfd import check

d = pfd.Daemon("maxreq", pfd.default_conf(workers=4, max_requests=50))
port = d.port()
d.wait_workers(4)
pids = set()
for i in range(10000):
    s = pfd.connect(port)
    try:
        if pfd.recv_exact(s, 1) != b"*":
            pfd.fail("connection %d: no greeting" % i)
        frame = b"^%05d$" % i
        s.sendall(frame)
        if pfd.recv_exact(s, 5) != pfd.incr_expect(frame):
            pfd.fail("connection %d: wrong answer" % i)
    except (OSError, EOFError) as e:
        pfd.fail("connection %d failed: %r" % (i, e))
    finally:
        s.close()
    if i % 500 == 0:
        pids.update(d.workers())
check(True, "10,000 sequential connections, every one answered in full")
d.wait_workers(4)
retired = re.findall(r"worker (\d+) exited: request cap reached after "
                     r"(\d+) connections", d.log())
check(len(retired) >= 10000 // 50 - 4,
      "%d workers retired at their cap (>= %d)" % (len(retired),
                                                   10000 // 50 - 4))
check(all(n == "50" for _, n in retired), "each served exactly 50")
check(len(pids) > 4, "%d distinct worker pids seen over the run" % len(pids))
check("warning" not in d.log(), "no warning in the log")
check(d.stop() == 0, "clean stop")

# Jitter: caps spread within [20, 30].
d = pfd.Daemon("maxreq-jitter", pfd.default_conf(
    workers=2, max_requests=20, max_requests_jitter=10))
port = d.port()
for i in range(1500):
    pfd.incr_session(port)
d.wait_workers(2)
caps = [int(n) for n in re.findall(r"request cap reached after (\d+)",
                                   d.log())]
check(len(caps) >= 40, "%d retirements with jitter" % len(caps))
check(all(20 <= c <= 30 for c in caps), "every cap within [20, 30]")
check(len(set(caps)) >= 4, "caps are spread: %s" % sorted(set(caps)))
check(d.stop() == 0, "clean stop")
