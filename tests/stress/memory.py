#!/usr/bin/env python3
"""memory: the master's RSS after 1,000 reloads is within 5% of its RSS
after 10; under valgrind (memcheck), 50 reloads leave no definite leak in
the master."""

import glob
import os
import re
import shutil
import signal
import subprocess
import time

import pfd
from pfd import check


def rss_kb(pid):
    return int(pfd.proc_status(pid)["VmRSS"].split()[0])


def reloads(d, n, before):
    for i in range(n):
        d.write_conf(pfd.default_conf(workers=1 + (i % 2)))
        os.kill(d.pid, signal.SIGHUP)
        d.wait_log(r"generation \d+ complete", count=before + i + 1,
                   timeout=60)


d = pfd.Daemon("memory", pfd.default_conf(workers=1))
reloads(d, 10, 0)
r10 = rss_kb(d.pid)
t0 = time.monotonic()
reloads(d, 990, 10)
r1000 = rss_kb(d.pid)
pfd.log("master RSS: %d KiB after 10 reloads, %d KiB after 1000 (%+.1f%%), "
        "%.0f s" % (r10, r1000, 100.0 * (r1000 - r10) / r10,
                    time.monotonic() - t0))
check(r1000 <= r10 * 1.05, "RSS after 1000 reloads within 5%% of after 10 "
      "(%d vs %d KiB)" % (r1000, r10))
check(d.stop() == 0, "clean stop")

if os.environ.get("SANITIZERS") == "yes":
    pfd.skip("valgrind cannot run an AddressSanitizer build")
vg = shutil.which("valgrind")
if vg is None:
    pfd.skip("valgrind is not installed (apt-get install valgrind)")
d = pfd.Daemon("memory-vg", pfd.default_conf(workers=1), start=False)
logs = os.path.join(d.dir, "vg.%p")
d.args = []
orig = pfd.PREFORKD
pfd.PREFORKD = vg
d.args = []
d.logf = open(d.log_path, "ab")
d.proc = subprocess.Popen(
    [vg, "--leak-check=full", "--errors-for-leak-kinds=definite",
     "--log-file=" + logs, orig, "-f", "-c", d.conf_path],
    stdout=d.logf, stderr=subprocess.STDOUT)
d.pid = d.proc.pid
pfd.PREFORKD = orig
d.wait_log(r"ready: 1 worker\b", timeout=120)
reloads(d, 50, 0)
d.proc.send_signal(signal.SIGTERM)
d.proc.wait(120)
master_log = os.path.join(d.dir, "vg.%d" % d.pid)
text = open(master_log).read()
pfd.log(text[-1500:])
m = re.search(r"definitely lost: ([\d,]+) bytes", text)
lost = int(m.group(1).replace(",", "")) if m else 0
check("ERROR SUMMARY: 0 errors" in text, "valgrind: no memory error in "
      "the master over 50 reloads")
check(lost == 0, "valgrind: no definite leak in the master (%d bytes)"
      % lost)
