#!/usr/bin/env python3
"""status: preforkd status prints the pool (table, JSON, Prometheus text)
from the scoreboard: per worker pid, generation, state, connections,
client; totals, exits by cause, reloads by result.  A dead worker is never
shown alive.  The process titles show the state."""

import json
import os
import re
import signal
import subprocess

import pfd
# worker_connections = 1 where this test is about one connection per
# worker (tests/integration/mux.py covers many): PFD_WORKER_CONNECTIONS
# runs leave it so.
from pfd import check


d = pfd.Daemon("status", pfd.default_conf(worker_connections=1, workers=3))
port = d.port()
workers = d.wait_workers(3)
for i in range(10):
    pfd.incr_session(port)
c = pfd.connect(port)
pfd.recv_exact(c, 1)
client = "127.0.0.1:%d" % c.getsockname()[1]

text = d.status()
pfd.log(text)
check(re.search(r"workers: 3 \(target 3\): 2 idle, 1 reading", text),
      "the table counts workers by state")
check("connections: 10 served" in text, "and the connections served")
check(re.search(r"\breading\b.*%s" % re.escape(client), text),
      "the busy worker shows its client")
for w in workers:
    check(re.search(r"^\s*\d+\s+%d\s+1 " % w, text, re.M),
          "worker %d listed with its generation" % w)
holder = [w for w in workers if "busy %s" % client in pfd.cmdline(w)]
check(len(holder) == 1, "the serving worker's title: 'preforkd: worker gen "
      "1 busy %s'" % client)
check(all("worker gen 1 idle" in pfd.cmdline(w) for w in workers
          if w not in holder), "the others: 'preforkd: worker gen 1 idle'")
check("master gen 1, 3 workers" in pfd.cmdline(d.pid),
      "the master's title: 'preforkd: master gen 1, 3 workers'")

js = json.loads(d.status("--json"))
check(js["workers"]["total"] == 3 and js["workers"]["idle"] == 2,
      "JSON: workers by state")
check(js["connections_total"] == 10, "JSON: connections_total")
check(sorted(s["pid"] for s in js["slots"]) == sorted(workers),
      "JSON: one slot per worker")
check([s["client"] for s in js["slots"] if s["state"] == "reading"] ==
      [client], "JSON: the client of the reading worker")

prom = d.status("--prometheus")
for want in ('preforkd_workers{state="idle"} 2',
             "preforkd_connections_total 10",
             'preforkd_worker_exits_total{reason="crash"} 0',
             'preforkd_reloads_total{result="ok"} 0',
             "preforkd_crash_backoff_seconds 0.000",
             "# TYPE preforkd_workers gauge", "# EOF"):
    check(want in prom, "Prometheus: %s" % want)
check(all(re.match(r"^(# (HELP|TYPE|UNIT|EOF).*|[a-z_]+"
                   r"(\{[a-z]+=\"[^\"\\]*\"\})? [0-9.]+)$", l)
          for l in prom.splitlines()),
      "every Prometheus line is a comment or a sample")
c.close()
pfd.wait_for(lambda: json.loads(d.status("--json"))["connections_total"] ==
             11, what="the 11th connection to be counted once closed")

# A dead worker is never shown alive.
victim = workers[0]
os.kill(victim, signal.SIGKILL)
d.wait_log(r"worker %d exited" % victim)
js = json.loads(d.status("--json"))
check(victim not in [s["pid"] for s in js["slots"]],
      "a killed worker is gone from the report")
check(js["exits"]["crash"] == 1, "exits counted by cause: crash 1")
check(js["connections_total"] == 11, "its connections stay counted")

d.write_conf(pfd.default_conf(workers=2))
subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
               capture_output=True, timeout=30)
d.write_conf("workers = 0\n")
subprocess.run([pfd.PREFORKD, "-s", "reload", "-c", d.conf_path],
               capture_output=True, timeout=30)
prom = d.status("--prometheus")
check('preforkd_reloads_total{result="ok"} 1' in prom and
      'preforkd_reloads_total{result="failed"} 1' in prom,
      "reloads counted by result")
check("preforkd_generation 2" in prom, "generation 2")
r = subprocess.run([pfd.PREFORKD, "-c", d.conf_path, "status", "--yaml"],
                   capture_output=True, text=True)
check(r.returncode == 64, "an unknown format is a usage error")
check(d.stop() == 0, "clean stop")
r = subprocess.run([pfd.PREFORKD, "-c", d.conf_path, "status"],
                   capture_output=True, text=True)
check(r.returncode == 1 and "not running" in r.stderr,
      "status without a daemon fails clearly: %s" % r.stderr.strip())
