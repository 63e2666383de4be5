#!/usr/bin/env python3
"""metrics: what `status` reports for an administrator (issue 8, D21,
D22): the clients waiting in each listener's accept queue, how many
connections had to wait for a free worker (the pool was full), each
worker's memory; and `status --prometheus` is valid OpenMetrics, as a
real parser (python3-prometheus-client's) reads it."""

import json
import subprocess
import sys
import time

import pfd
# worker_connections = 1 where this test is about one connection per
# worker (tests/integration/mux.py covers many): PFD_WORKER_CONNECTIONS
# runs leave it so.
from pfd import check

d = pfd.Daemon("metrics", pfd.default_conf(worker_connections=1,
    workers=2, listen='{ "127.0.0.1:0", "unix:@DIR@/m.sock" }'))
port = d.port()
d.wait_workers(2)


# Two clients hold both workers; three more wait in the accept queue.
held = [pfd.connect(port) for i in range(2)]
for c in held:
    pfd.recv_exact(c, 1)
waiting = [pfd.connect(port) for i in range(3)]
js = pfd.wait_for(lambda: (lambda j: j if j["listen_queues"][0]["queued"]
                           == 3 else None)(json.loads(d.status("--json"))),
                  what="3 clients in the accept queue")
q = js["listen_queues"]
check(q[0]["listener"].startswith("127.0.0.1:") and q[0]["queued"] == 3 and
      q[0]["backlog"] == 511, "JSON: the TCP listener's queue: %s" % q[0])
check(q[1]["listener"].startswith("unix:") and q[1]["queued"] == 0,
      "JSON: the unix listener's queue: %s" % q[1])
text = d.status()
check("(queue 3 of 511)" in text, "the table shows the queue")
check(all(s["rss_kb"] > 0 for s in js["slots"]),
      "every worker's memory is shown, without max_worker_rss")
for c in held + waiting:
    c.close()
js = pfd.wait_for(lambda: (lambda j: j if j["connections_waited"] >= 3
                           else None)(json.loads(d.status("--json"))),
                  what="the waiting connections to be counted")
check(js["connections_waited"] >= 3, "connections that waited for a free "
      "worker are counted: %d" % js["connections_waited"])
check("waited for a free worker" in d.status(), "the table says it too")

om = d.status("--prometheus")
sys.path.append("/usr/lib/python3/dist-packages")
try:
    from prometheus_client.openmetrics import parser
except ImportError:
    pfd.skip("python3-prometheus-client is not installed: OpenMetrics "
             "not parsed (apt-get install python3-prometheus-client)")
families = {f.name: f for f in parser.text_string_to_metric_families(om)}
check(families["preforkd_connections"].type == "counter",
      "an OpenMetrics parser reads it: counters are families without "
      "_total (%d families)" % len(families))
samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
           for f in families.values() for s in f.samples}
check(samples[("preforkd_connections_waited_total", ())] >= 3,
      "connections_waited_total")
check(samples[("preforkd_listen_queue",
               (("listener", q[0]["listener"]),))] == 0,
      "listen_queue per listener")
check(samples[("preforkd_workers_rss_bytes", ())] > 0, "workers' memory")
check(samples[("preforkd_workers", (("state", "idle"),))] == 2,
      "workers by state")
check(d.stop() == 0, "clean stop")
