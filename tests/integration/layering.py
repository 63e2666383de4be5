#!/usr/bin/env python3
"""layering: calls only go down the layers (issue 9).

src/LAYERS declares the modules from the top down.  From the symbol
tables of the objects themselves (nm), every symbol an object uses that
another object of the daemon defines must belong to a module on a lower
line: a call (or a use of data) that goes up or sideways fails the test,
naming both ends.  The fence rules of ../shared/STYLE.md are checked the
same way: the credential calls only in privsep.o, fork(2) only in pool.o
(workers), pool_probe.o (the check of a service's code, dropped like a
worker) and detach.o (the master itself), libconfuse only in the
configuration module, syslog only in log.o.  The checker first proves on
a made-up table that it does fail on an upward call."""

import os
import subprocess

import pfd
from pfd import check

top = os.environ["top_srcdir"]
build = os.environ["top_builddir"]

# function -> the only objects that may call it
FENCES = {
    "privsep": {"setuid", "setgid", "setgroups", "setresuid", "setresgid",
                "initgroups", "chroot", "seteuid", "setegid"},
    "pool pool_probe detach": {"fork", "vfork", "clone"},
    "conf conf_check conf_confuse conf_service": {"cfg_init", "cfg_parse_buf",
                                     "cfg_free", "cfg_getstr",
                                     "cfg_getint", "cfg_size"},
    "log": {"syslog", "openlog", "closelog", "vsyslog"},
}


def layers(path):
    """module -> (rank, objects): rank 0 is the top."""
    out = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            module, objs = line.split(":", 1)
            out[module.strip()] = (len(out), objs.split())
    return out


def symbols(nm_lines):
    """(defined: symbol -> object, used: object -> set of symbols), from
    `nm -A -P` lines: "lib.a[obj.o]: name type ..." or "obj.o: name type"."""
    defined, used = {}, {}
    for line in nm_lines:
        head, _, rest = line.partition(": ")
        parts = rest.split()
        if len(parts) < 2:
            continue
        obj = head[head.index("[") + 1:-1] if head.endswith("]") else head
        obj = os.path.basename(obj)
        obj = obj[:-2] if obj.endswith(".o") else obj
        sym, kind = parts[0], parts[1]
        used.setdefault(obj, set())
        if kind == "U":
            used[obj].add(sym)
        elif kind in "TDBRCGSV":
            defined[sym] = obj
    return defined, used


def violations(lay, defined, used):
    module = {o: (m, r) for m, (r, objs) in lay.items() for o in objs}
    bad = []
    for obj, syms in sorted(used.items()):
        if obj not in module:
            bad.append("%s.o is in no layer of src/LAYERS" % obj)
            continue
        m, r = module[obj]
        for sym in sorted(syms):
            d = defined.get(sym)
            if d is None or d not in module:
                continue
            dm, dr = module[d]
            if dm != m and dr <= r:
                bad.append("%s.o (%s) uses %s of %s.o (%s): %s" % (
                    obj, m, sym, d, dm, "sideways" if dr == r else "up"))
        for allowed, funcs in FENCES.items():
            for sym in syms & funcs:
                if obj not in allowed.split():
                    bad.append("%s.o calls %s: only %s may" % (
                        obj, sym, allowed))
    return bad


lay = layers(os.path.join(top, "src", "LAYERS"))

# The checker itself: an upward call must be caught.
fake = ["libpreforkd.a[worker.o]: worker_main T 0 10",
        "libpreforkd.a[worker.o]: pool_count U",
        "libpreforkd.a[pool.o]: pool_count T 0 10",
        "libpreforkd.a[pool.o]: worker_main U"]
d, u = symbols(fake)
bad = violations(lay, d, u)
check(bad == ["worker.o (worker) uses pool_count of pool.o (pool): up"],
      "the checker catches an upward call in a made-up table: %s" % bad)
d, u = symbols(["libpreforkd.a[log.o]: fork U"])
check(violations(lay, d, u) == ["log.o calls fork: only pool pool_probe "
                                 "detach may"],
      "and a fence broken")

lib = os.path.join(build, "src", "libpreforkd.a")
nm = subprocess.run(["nm", "-A", "-P", lib], capture_output=True,
                    text=True)
check(nm.returncode == 0, "nm %s" % lib)
defined, used = symbols(nm.stdout.splitlines())
main = subprocess.run(["nm", "-A", "-P", os.path.join(build, "src",
                                                       "main.o")],
                      capture_output=True, text=True)
if main.returncode == 0:
    d, u = symbols(main.stdout.splitlines())
    used.update(u)
check(len(used) >= 25, "%d objects read" % len(used))
bad = violations(lay, defined, used)
for b in bad:
    pfd.log("  " + b)
check(not bad, "every call goes down the layers of src/LAYERS, and every "
      "fence holds (%d violations)" % len(bad))
