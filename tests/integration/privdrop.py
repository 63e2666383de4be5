#!/usr/bin/env python3
"""privdrop: workers run as the configured user with exactly its groups,
no capabilities, no_new_privs, no core dumps, only the descriptors they
need, optionally chrooted; a worker cannot become root again.  Root
only: the privilege drop is what is tested."""

import os
import pwd
import grp
import re

import pfd
from pfd import check

if not pfd.is_root():
    pfd.skip("needs root: the test checks the switch from root to the "
             "worker user (CI runs as root)")

PREFORKD_TEST = os.environ["PREFORKD_TEST"]
try:
    user = pwd.getpwnam("preforkd")
except KeyError:
    user = pwd.getpwnam("nobody")
groups = sorted(set(os.getgrouplist(user.pw_name, user.pw_gid)))


def limits(pid):
    with open("/proc/%d/limits" % pid) as f:
        return f.read()


def privcheck(port):
    s = pfd.connect(port)
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return dict(l.split("=", 1) for l in data.decode().splitlines())


orig = pfd.PREFORKD
pfd.PREFORKD = PREFORKD_TEST
d = pfd.Daemon("privdrop", pfd.default_conf(service="privcheck", workers=2,
                                            worker_rlimit_nofile=1234))
master = d.pid
workers = d.wait_workers(2)

ms = pfd.proc_status(master)
check(ms["Uid"].split() == ["0"] * 4, "master keeps uid 0 (%s)" % ms["Uid"])
for w in workers:
    st = pfd.proc_status(w)
    pfd.log("worker %d: Uid %s | Gid %s | Groups %s | CapEff %s | CapPrm "
            "%s | CapAmb %s | NoNewPrivs %s" % (
                w, st["Uid"], st["Gid"], st["Groups"], st["CapEff"],
                st["CapPrm"], st["CapAmb"], st["NoNewPrivs"]))
    check(st["Uid"].split() == [str(user.pw_uid)] * 4,
          "worker Uid: all four fields are %s's" % user.pw_name)
    check(st["Gid"].split() == [str(user.pw_gid)] * 4,
          "worker Gid: all four fields are %s's group" % user.pw_name)
    check(sorted(int(g) for g in st["Groups"].split()) == groups,
          "worker Groups: exactly %s's groups %s" % (user.pw_name, groups))
    for cap in ("CapEff", "CapPrm", "CapAmb", "CapInh"):
        check(int(st[cap], 16) == 0, "worker %s is 0" % cap)
    check(st["NoNewPrivs"] == "1", "worker has no_new_privs")
    check(re.search(r"Max core file size\s+0\s+0", limits(w)),
          "worker RLIMIT_CORE is 0")
    check(re.search(r"Max open files\s+1234\s+1234", limits(w)),
          "worker RLIMIT_NOFILE is worker_rlimit_nofile")
    fds = sorted(int(f) for f in os.listdir("/proc/%d/fd" % w))
    targets = [os.readlink("/proc/%d/fd/%d" % (w, f)) for f in fds]
    check(fds == [0, 1, 2, 3, 4] and targets[3].startswith("socket:") and
          targets[4].startswith("socket:") and targets[0] == "/dev/null"
          and targets[1] == targets[2] == targets[4],
          "worker holds only stdin (/dev/null), its listener and its "
          "channel to the master (also its stdout and stderr): %s"
          % targets)
    check(not any(t.endswith("preforkd.ctl") for t in targets),
          "worker does not hold the control socket")
    check(not any("preforkd.pid" in t for t in targets),
          "worker does not hold the pidfile")

r = privcheck(d.port())
pfd.log("privcheck: %s" % r)
for call in ("setuid0", "seteuid0", "setgid0", "setgroups0"):
    check(r[call] == "Operation not permitted",
          "a worker cannot regain root: %s fails with EPERM" % call)
check(r["uid"] == "%d,%d,%d" % ((user.pw_uid,) * 3), "handler sees the uid")
check(r["dumpable"] == "0", "worker is not dumpable (PR_GET_DUMPABLE 0)")
check(d.stop() == 0, "clean stop")

# chroot, and core dumps allowed.
d = pfd.Daemon("privdrop-chroot", pfd.default_conf(
    service="privcheck", workers=1, chroot='"@DIR@/jail"',
    worker_core_dumps="true"), start=False)
os.mkdir(os.path.join(d.dir, "jail"))
d.start()
w = d.wait_workers(1)[0]
check(os.readlink("/proc/%d/root" % w) == os.path.join(d.dir, "jail"),
      "worker /proc/PID/root is the chroot directory")
r = privcheck(d.port())
check(r["cwd"] == "/", "worker's working directory is / of the chroot")
check(r["etc_passwd"] == "No such file or directory",
      "the worker cannot see /etc/passwd")
check(r["setuid0"] == "Operation not permitted", "chrooted worker cannot "
      "regain root")
check(r["dumpable"] == "1",
      "worker_core_dumps = true: the worker is dumpable again")
check(not re.search(r"Max core file size\s+0\s+0", limits(w)),
      "worker_core_dumps = true: RLIMIT_CORE is left alone")
check("workers are confined to" in d.log(), "the log says so")
check(d.stop() == 0, "clean stop")

# user = root is allowed, and warned about.
pfd.PREFORKD = orig
d = pfd.Daemon("privdrop-root", pfd.default_conf(workers=1, user="root"))
w = d.wait_workers(1)[0]
check(pfd.proc_status(w)["Uid"].split() == ["0"] * 4, "user = root: the "
      "worker runs as root")
check("warning: workers run as root" in d.log(), "and the log warns")
check(d.stop() == 0, "clean stop")

# An explicit user and group.
g = grp.getgrnam("nogroup") if "nogroup" in [x.gr_name for x in
                                              grp.getgrall()] else None
if g is not None:
    d = pfd.Daemon("privdrop-group", pfd.default_conf(
        workers=1, user="nobody", group="nogroup"))
    w = d.wait_workers(1)[0]
    st = pfd.proc_status(w)
    check(st["Gid"].split() == [str(g.gr_gid)] * 4, "group = nogroup")
    check(d.stop() == 0, "clean stop")
