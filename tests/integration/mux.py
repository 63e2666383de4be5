#!/usr/bin/env python3
"""mux: worker_connections > 1 (issue 11).  One worker serves many
connections at once from its event loop, with the blocking handlers
unchanged; idle connections are parked (and counted so in status) and
closed at once when the worker drains (reload, graceful stop), or after
keepalive_timeout; read_timeout holds per connection while the worker
serves others; request_timeout ends the worker and logs and counts the
connections it cost; the request cap still recycles; the configuration
check refuses a service that may not be multiplexed, with FILE:LINE."""

import json
import os
import re
import signal
import socket
import subprocess
import time

import pfd
from pfd import check

pfd.PREFORKD = os.environ["PREFORKD_TEST"]


def greet(port):
    s = pfd.connect(port)
    check(pfd.recv_exact(s, 1) == b"*", "greeting")
    return s


def frame(s, payload=b"abc"):
    s.sendall(b"^" + payload + b"$")
    return pfd.recv_exact(s, len(payload)) == bytes(b + 1 for b in payload)


def closed_soon(s, timeout=5.0):
    """The server ended s: EOF (or a reset) within timeout."""
    s.settimeout(timeout)
    try:
        return s.recv(16) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


# -- one worker, many connections at once --------------------------------
d = pfd.Daemon("mux", pfd.default_conf(workers=1, worker_connections=64,
                                       keepalive_timeout="60s"))
port = d.port()
worker = d.wait_workers(1)[0]
conns = [greet(port) for _ in range(50)]
check(True, "one worker greets 50 clients it holds at once")
check(all(frame(s, b"x%d" % i) for i, s in enumerate(conns)),
      "and serves a frame on each, interleaved")
check(all(frame(s) for s in reversed(conns)), "in any order")
check(d.workers() == [worker], "all of it in the same worker process")
js = json.loads(d.status("--json"))
slot = js["slots"][0]
check(js["worker_connections"] == 64 and slot["parked"] == 50 and
      slot["active"] == 0,
      "between frames every connection is parked (status: %d active, "
      "%d parked)" % (slot["active"], slot["parked"]))
text = d.status()
check(re.search(r"connections now: 0 active, 50 parked", text) and
      re.search(r"\s0\+50\s", text), "the text table says 0+50")
prom = d.status("--prometheus")
check('preforkd_connections_open{state="parked"} 50' in prom,
      "and OpenMetrics: preforkd_connections_open")

# a partial frame keeps its connection active (its stack held)
conns[0].sendall(b"^ab")
check(pfd.recv_exact(conns[0], 2) == b"bc", "a partial frame is answered")
pfd.wait_for(lambda: json.loads(d.status("--json"))["slots"][0]["active"]
             == 1, what="one active connection")
check(frame(conns[1]), "others are served while it waits")
conns[0].sendall(b"$")
check(frame(conns[0], b"q"), "and it finishes its frame later")

# -- a reload closes the parked ones at once, and serves on --------------
t0 = time.monotonic()
r = subprocess.run([pfd.PREFORKD, "-c", d.conf_path, "-s", "reload"],
                   capture_output=True, text=True)
check(r.returncode == 0, "reload: %s" % (r.stdout + r.stderr).strip())
check(all(closed_soon(s) for s in conns),
      "the old worker closed its 50 idle connections")
pfd.wait_for(lambda: not pfd.alive(worker), timeout=5,
             what="the old worker to leave")
check(time.monotonic() - t0 < 5, "without waiting on idle clients "
      "(graceful_timeout is 30 s)")
for s in conns:
    s.close()
new = d.wait_workers(1)
pfd.incr_session(port)              # raises if the answer is wrong
check(new != [worker], "a new worker (%s) serves" % new)

# -- keepalive_timeout ----------------------------------------------------
d.write_conf(pfd.default_conf(workers=1, worker_connections=8,
                              keepalive_timeout="1s"))
os.kill(d.pid, signal.SIGHUP)
d.wait_log(r"reload: generation 3 complete")
s = greet(port)
check(frame(s), "a frame")
check(closed_soon(s, 6), "then, idle, closed after keepalive_timeout")
s.close()

# -- read_timeout per connection, the others go on ----------------------
d.write_conf(pfd.default_conf(workers=1, worker_connections=8,
                              read_timeout="1s"))
os.kill(d.pid, signal.SIGHUP)
d.wait_log(r"reload: generation 4 complete")
slow = greet(port)
slow.sendall(b"^a")                 # a frame it never finishes
check(pfd.recv_exact(slow, 1) == b"b", "the slow client's first byte")
t0 = time.monotonic()
served = 0
while time.monotonic() - t0 < 0.8:
    pfd.incr_session(port)
    served += 1
check(served > 0, "%d sessions served by the same worker meanwhile" % served)
check(closed_soon(slow, 6), "the trickling client is closed at read_timeout")
d.wait_log(r"read timeout \(1000 ms\), connection closed")
slow.close()
d.stop()

# -- request_timeout: the whole worker, and what it cost -----------------
d = pfd.Daemon("mux-spin", pfd.default_conf(
    workers=1, service="spin", worker_connections=8,
    request_timeout="1s"))
port = d.port()
first = d.wait_workers(1)[0]
idle = []
for _ in range(3):
    c = pfd.connect(port)
    c.sendall(b"ping\n")
    check(pfd.recv_exact(c, 5) == b"pong\n", "pong")
    idle.append(c)
c = pfd.connect(port)
c.sendall(b"go\n")                  # spins: stalls the worker
d.wait_log(r"worker %d exited: killed by SIGTERM for request_timeout.*"
           r"1 active and 3 parked connections lost with it" % first,
           what="the exit line to count the connections lost")
check(all(closed_soon(s) for s in idle + [c]),
      "every connection of that worker ended with it")
js = json.loads(d.status("--json"))
check(js["connections_lost"] == 4, "status counts 4 connections lost")
d.wait_workers(1)
c = pfd.connect(port)
c.sendall(b"ping\n")
check(pfd.recv_exact(c, 5) == b"pong\n", "its replacement serves")
c.close()
d.stop()

# -- the request cap still recycles ---------------------------------------
d = pfd.Daemon("mux-cap", pfd.default_conf(
    workers=2, worker_connections=16, max_requests=5))
port = d.port()
for _ in range(40):
    pfd.incr_session(port)
check(len(re.findall(r"exited: request cap reached after 5 connections",
                      d.log())) >= 6, "40 sessions on a cap of 5: recycled")
d.stop()

# -- what may not be multiplexed is refused, with FILE:LINE ---------------
for conf, what in (
        ('service = incr\nservice_args = { "sleep_us=1000" }\n'
         'worker_connections = 4\n', "incr with sleep_us"),
        ('service = exec\nexec = { "/bin/cat" }\nworker_connections = 4\n',
         "exec"),
        ('service = logline\nworker_connections = 4\n',
         "a service that does not declare multiplex()")):
    t = pfd.Daemon("mux-bad", conf + 'listen = { "127.0.0.1:0" }\n',
                   start=False)
    r = subprocess.run([pfd.PREFORKD, "-t", "-c", t.conf_path],
                       capture_output=True, text=True)
    line = [i + 1 for i, l in enumerate(open(t.conf_path))
            if l.startswith("worker_connections")][0]
    check(r.returncode != 0 and "%s:%d: worker_connections: must be 1"
          % (t.conf_path, line) in r.stderr,
          "%s: refused at its line: %s" % (what, r.stderr.strip()))
