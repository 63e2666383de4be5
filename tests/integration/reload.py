#!/usr/bin/env python3
"""reload: under continuous load (concurrent clients, a new connection per
exchange), 20 reloads alternating two valid configurations and 2 invalid
ones: no failed or reset connection, every answer complete, generations
seen changing, never more than two alive; a bad file is refused with its
FILE:LINE: errors and changes nothing; a listener added by a reload
serves, one removed goes away; a connection in progress is finished by
the old generation."""

import os
import re
import socket
import subprocess
import threading
import time

import pfd
from pfd import check

CONF_A = """listen = { "127.0.0.1:0" }
workers = 3
read_timeout = 10s
"""
# B adds a unix listener and two workers
CONF_B = """listen = { "127.0.0.1:0", "unix:@DIR@/b.sock" }
workers = 5
read_timeout = 20s
max_requests = 500
"""
BAD = ["workers = 0\n", "listen = { \"127.0.0.1:0\" }\nbogus = 1\n"]

d = pfd.Daemon("reload", CONF_A)
port = d.port()
d.wait_workers(3)


def reload(expect_ok=True):
    r = subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
                       capture_output=True, text=True, timeout=60)
    if expect_ok and r.returncode != 0:
        pfd.fail("reload refused: %s %s" % (r.stdout, r.stderr))
    return r


def generations():
    gens = set()
    for w in pfd.children(d.pid):
        m = re.search(r"worker gen (\d+)", pfd.cmdline(w))
        if m and pfd.alive(w):
            gens.add(int(m.group(1)))
    return gens


stop = threading.Event()
lock = threading.Lock()
stats = {"ok": 0, "errors": []}


def client(n):
    k = 0
    while not stop.is_set():
        frame = b"^%d-%d$" % (n, k)
        try:
            s = pfd.connect(port, timeout=10)
            if pfd.recv_exact(s, 1) != b"*":
                raise ValueError("no greeting")
            s.sendall(frame)
            got = pfd.recv_exact(s, len(frame) - 2)
            if got != pfd.incr_expect(frame):
                raise ValueError("answer %r" % got)
            s.close()
            with lock:
                stats["ok"] += 1
        except Exception as e:      # every failure is reported below
            with lock:
                stats["errors"].append(repr(e))
        k += 1


max_gens = 0
seen = set()


def watcher():
    global max_gens
    while not stop.is_set():
        g = generations()
        seen.update(g)
        max_gens = max(max_gens, len(g))
        time.sleep(0.01)


threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
threads.append(threading.Thread(target=watcher))
for t in threads:
    t.start()
try:
    time.sleep(0.5)
    bad_done = 0
    for i in range(20):
        d.write_conf(CONF_B if i % 2 == 0 else CONF_A)
        reload()
        if i in (7, 15):                 # two invalid files in between
            d.write_conf(BAD[bad_done])
            r = reload(expect_ok=False)
            check(r.returncode == 1 and
                  "reload failed: still serving" in r.stderr,
                  "invalid file %d refused, exit 1" % (bad_done + 1))
            bad_done += 1
        time.sleep(0.15)
finally:
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join()

pfd.log("%d exchanges during the reloads" % stats["ok"])
check(not stats["errors"], "no failed, reset or incomplete connection "
      "(%d errors: %s)" % (len(stats["errors"]), stats["errors"][:3]))
check(stats["ok"] > 500, "the clients kept going (%d exchanges)"
      % stats["ok"])
check(len(seen) >= 15, "generations seen changing: %d distinct"
      % len(seen))
check(max_gens <= 2, "never more than two generations alive (max %d)"
      % max_gens)
lat = [int(x) for x in re.findall(r"accepting, (\d+) ms after", d.log())]
check(len(lat) == 20, "20 reloads succeeded")
lat.sort()
pfd.log("reload latency (SIGHUP to the new generation accepting): "
        "median %d ms, max %d ms" % (lat[len(lat) // 2], lat[-1]))
errs = d.log()
check("reload: %s:1: workers: 0 is out of range" % d.conf_path in errs,
      "the master logs the FILE:LINE: error of a bad file")
check(re.search(r"reload: %s:2: bogus: unknown option" %
                re.escape(d.conf_path), errs),
      "and the unknown option of the other")

# A bad file changes nothing: same generation, same workers.
d.write_conf(CONF_A)
reload()
d.wait_workers(3)                   # the old generation gone
gen_before, before = generations(), sorted(d.workers())
check(len(gen_before) == 1, "one generation serves (%s)" % gen_before)
d.write_conf(CONF_A + "workers = 9\n")
r = reload(expect_ok=False)
check("%s:4: workers: set twice (first on line 2)" % d.conf_path
      in r.stderr, "-s reload prints the errors: %r" % r.stderr.strip())
time.sleep(0.3)
check(generations() == gen_before and sorted(d.workers()) == before,
      "after a refused reload the same workers serve the same generation")

# Listeners: B adds the unix socket, A removes it.
d.write_conf(CONF_B)
reload()
sock = os.path.join(d.dir, "b.sock")
pfd.incr_session("unix:" + sock)
check(True, "a listener added by a reload serves")
old = pfd.connect(port)                     # held across the next reload
check(pfd.recv_exact(old, 1) == b"*", "a client in a session")
old.sendall(b"^par")
check(pfd.recv_exact(old, 3) == b"qbs", "mid-frame")
d.write_conf(CONF_A)
reload()
pfd.incr_session(port)
check(os.path.exists(sock), "a removed listener stays while an old worker "
      "still holds it")
old.sendall(b"tial$")
check(pfd.recv_exact(old, 4) == b"ujbm", "the old generation finishes the "
      "session it was serving")
old.close()
pfd.wait_for(lambda: not os.path.exists(sock), timeout=15,
             what="the removed unix listener to go away")
check(True, "once the old generation is gone, the removed listener is "
      "closed and its file removed")
check(d.stop() == 0, "clean stop")
