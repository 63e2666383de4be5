#!/usr/bin/env python3
"""timeouts: a worker spinning on a request writes its backtrace at
request_timeout_soft and goes on, then is killed at request_timeout and
replaced; a worker stopped mid-request is killed too; every kill is
logged with the pid, the client and the time busy; time waiting for the
client is not "busy"."""

import os
import re
import signal
import time

import pfd
from pfd import check

pfd.PREFORKD = os.environ["PREFORKD_TEST"]

d = pfd.Daemon("timeouts", pfd.default_conf(
    service="spin", workers=2, request_timeout_soft="1s",
    request_timeout="3s", read_timeout="30s"))
port = d.port()
d.wait_workers(2)
c = pfd.connect(port)
client = "127.0.0.1:%d" % c.getsockname()[1]
c.sendall(b"go\n")
d.wait_log(r"worker (\d+) busy with %s for \d+ ms: request_timeout_soft"
           % client)
d.wait_log(r"request_timeout_soft: busy with %s for \d+ ms; backtrace:"
           % client)
time.sleep(0.5)
log = d.log()
bt = log.split("backtrace:", 1)[1].splitlines()[1:]
frames = [l for l in bt if re.search(r"\[0x[0-9a-f]+\]$", l)]
check(len(frames) >= 3, "the worker wrote its backtrace (%d frames)"
      % len(frames))
m = re.search(r"worker (\d+) busy with %s for (\d+) ms: request_timeout, "
              r"SIGTERM" % client, d.log()) or d.wait_log(
    r"request_timeout, SIGTERM") or re.search(
    r"worker (\d+) busy with %s for (\d+) ms: request_timeout, SIGTERM"
    % client, d.log())
pid = int(m.group(1))
check(int(m.group(2)) >= 3000, "killed at request_timeout with its pid, "
      "client and busy time: %s" % m.group(0))
d.wait_log(r"worker %d exited: killed by SIGTERM for request_timeout" % pid)
check(c.recv(1) == b"", "its client is disconnected")
d.wait_workers(2)
check(pid not in d.workers(), "and it is replaced")
c.close()

# A client that keeps a worker waiting is not "busy": no timeout.
c = pfd.connect(port)
time.sleep(4)
check("busy with 127.0.0.1:%d" % c.getsockname()[1] not in d.log(),
      "4 s waiting for a client to send is not counted as busy")
c.close()
check(d.stop() == 0, "clean stop")

# A worker stopped (SIGSTOP) in the middle of a request.
d = pfd.Daemon("timeouts-stop", pfd.default_conf(
    service="slow", workers=1, request_timeout="2s", read_timeout="30s"))
w = d.wait_workers(1)[0]
c = pfd.connect(d.port())
c.sendall(b"go\n")
time.sleep(0.3)
os.kill(w, signal.SIGSTOP)
d.wait_log(r"worker %d busy with .* request_timeout, SIGTERM" % w)
d.wait_log(r"worker %d ignored SIGTERM: SIGKILL" % w)
d.wait_log(r"worker %d exited: killed by SIGKILL for request_timeout" % w)
check(True, "a stopped worker is killed with SIGKILL after SIGTERM")
c.close()
d.wait_workers(1)
check(d.stop() == 0, "clean stop")
