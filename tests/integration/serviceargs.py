#!/usr/bin/env python3
"""serviceargs: service_args reach the service.  incr's sleep_us makes
each frame wait (a frame closed in one write waits once per frame), and
burn_us spends the worker's own CPU; both are lower bounds, not timings.
A reload with arguments the service refuses is refused and says why."""

import subprocess
import time

import pfd
from pfd import check

SLEEP, BURN = 0.2, 0.05

conf = pfd.default_conf(workers=1, service_args='{ "sleep_us=%d" }'
                        % (SLEEP * 1e6))
d = pfd.Daemon("serviceargs", conf)
s = pfd.connect(d.port())
check(pfd.recv_exact(s, 1) == b"*", "greeted")
t0 = time.monotonic()
s.sendall(b"^a$")
check(pfd.recv_exact(s, 1) == b"b", "one frame answered")
one = time.monotonic() - t0
check(one >= SLEEP, "sleep_us: the frame waited %.3f s (>= %.1f s)"
      % (one, SLEEP))
t0 = time.monotonic()
s.sendall(b"^a$^b$^c$")
check(pfd.recv_exact(s, 3) == b"bcd", "three frames answered")
three = time.monotonic() - t0
check(three >= 3 * SLEEP, "sleep_us: three frames in one read waited "
      "%.3f s (>= %.1f s)" % (three, 3 * SLEEP))
s.close()

# burn_us: the worker's CPU time grows by at least frames x burn_us.
d.write_conf(pfd.default_conf(workers=1, service_args='{ "burn_us=%d" }'
                              % (BURN * 1e6)))
r = subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
                   capture_output=True, text=True, timeout=30)
check(r.returncode == 0, "reload to burn_us: %r" % r.stdout.strip())
w = d.wait_workers(1)[0]
cpu0 = pfd.cpu_seconds(w)
pfd.incr_session(d.port(), frames=[b"^x$"] * 6)
burnt = pfd.cpu_seconds(w) - cpu0
check(burnt >= 6 * BURN * 0.8, "burn_us: the worker spent %.2f s of CPU "
      "on 6 frames (>= 0.8 x %.2f s: /proc rounds to ticks)" % (burnt,
                                                          6 * BURN))

# Arguments the service refuses: the reload is refused, the old ones stay.
d.write_conf(pfd.default_conf(workers=1,
                              service_args='{ "burn_us=-1" }'))
r = subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
                   capture_output=True, text=True, timeout=30)
check(r.returncode == 1 and "service_args: incr: 'burn_us=-1' is not "
      "burn_us=N or sleep_us=N" in r.stderr,
      "a bad service_args is refused with its line: %r" % r.stderr.strip())
check(d.workers() == [w], "the running worker goes on")
pfd.incr_session(d.port())
check(d.stop() == 0, "clean stop")
