#!/usr/bin/env python3
"""caps: a master that is not root but holds capabilities (as under
systemd's AmbientCapabilities=CAP_NET_BIND_SERVICE) binds a privileged
port, and its workers end with an empty capability set."""

import os
import pwd
import shutil
import socket

import pfd
from pfd import check

if not pfd.is_root():
    pfd.skip("needs root to start a master as nobody with ambient "
             "capabilities")
setpriv = shutil.which("setpriv")
if setpriv is None:
    pfd.skip("setpriv (util-linux) is not installed")

nobody = pwd.getpwnam("nobody")
# A free privileged port on loopback.
for port in range(900, 1000):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        break
    except OSError:
        continue
    finally:
        s.close()

d = pfd.Daemon("caps", pfd.default_conf(workers=2,
                                        listen='{ "127.0.0.1:%d" }' % port),
               start=False)
os.chown(d.dir, nobody.pw_uid, nobody.pw_gid)
d.args = []
orig = pfd.PREFORKD
pfd.PREFORKD = setpriv
d.args = ["--reuid=%d" % nobody.pw_uid, "--regid=%d" % nobody.pw_gid,
          "--clear-groups", "--inh-caps=+net_bind_service",
          "--ambient-caps=+net_bind_service", "--", orig]
# setpriv ARGS -- preforkd -f -c CONF: rebuild the command line
import subprocess
d.logf = open(d.log_path, "ab")
d.proc = subprocess.Popen([setpriv] + d.args + ["-f", "-c", d.conf_path],
                          stdout=d.logf, stderr=subprocess.STDOUT)
d.pid = d.proc.pid
pfd.PREFORKD = orig
d.wait_log(r"started: service")
master = d.pid
workers = d.wait_workers(2)
ms = pfd.proc_status(master)
pfd.log("master: Uid %s CapEff %s CapPrm %s CapAmb %s" % (
    ms["Uid"], ms["CapEff"], ms["CapPrm"], ms["CapAmb"]))
check(ms["Uid"].split()[0] == str(nobody.pw_uid), "the master runs as nobody")
check(int(ms["CapAmb"], 16) != 0, "the master holds an ambient capability")
check(d.addresses() == ["127.0.0.1:%d" % port],
      "it bound the privileged port %d" % port)
pfd.incr_session(port)
check(True, "and serves on it")
check("not started as root" in d.log(), "the log notes the unprivileged "
      "start")
for w in workers:
    st = pfd.proc_status(w)
    pfd.log("worker %d: Uid %s CapEff %s CapPrm %s CapAmb %s NoNewPrivs %s"
            % (w, st["Uid"], st["CapEff"], st["CapPrm"], st["CapAmb"],
               st["NoNewPrivs"]))
    for cap in ("CapEff", "CapPrm", "CapAmb", "CapInh"):
        check(int(st[cap], 16) == 0, "worker %d %s is 0" % (w, cap))
    check(st["NoNewPrivs"] == "1", "worker has no_new_privs")
check(d.stop() == 0, "clean stop")
