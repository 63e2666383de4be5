#!/usr/bin/env python3
"""install: `make install DESTDIR=...` installs exactly the expected files
(the program, the sample configuration without overwriting one that
exists, the manuals, the systemd units, sysusers.d and tmpfiles.d files,
the module SDK: handler.h, preforkd.pc and an empty module directory),
the units pass `systemd-analyze verify`, and `make uninstall` removes it
all but a configuration the administrator changed."""

import os
import shutil
import subprocess
import tempfile

import pfd
from pfd import check

build = os.environ["top_builddir"]
dirs = {k: os.environ[k] for k in (
    "sbindir", "sysconfdir", "docdir", "mandir", "systemdsystemunitdir",
    "sysusersdir", "tmpfilesdir", "includedir", "pkgconfigdir",
    "moduledir")}
dest = tempfile.mkdtemp(prefix="install-", dir=os.environ.get("TMPDIR",
                                                               "/tmp"))
# a clean make: not the jobserver of the `make check` running this test
env = {k: v for k, v in os.environ.items()
       if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}


def make(target):
    r = subprocess.run(["make", "-s", "-C", build, target, "DESTDIR=" + dest],
                       env=env, capture_output=True, text=True)
    if r.returncode != 0:
        pfd.fail("make %s: %s%s" % (target, r.stdout, r.stderr))


def files():
    out = set()
    for root, _, names in os.walk(dest):
        for n in names:
            out.add(os.path.join(root, n)[len(dest):])
    return out


try:
    make("install")
    want = {
        dirs["sbindir"] + "/preforkd",
        dirs["sysconfdir"] + "/preforkd.conf",
        dirs["mandir"] + "/man8/preforkd.8",
        dirs["mandir"] + "/man5/preforkd.conf.5",
        dirs["mandir"] + "/man3/preforkd-handler.3",
        dirs["systemdsystemunitdir"] + "/preforkd.service",
        dirs["systemdsystemunitdir"] + "/preforkd@.service",
        dirs["sysusersdir"] + "/preforkd.conf",
        dirs["tmpfilesdir"] + "/preforkd.conf",
        dirs["includedir"] + "/preforkd/handler.h",
        dirs["pkgconfigdir"] + "/preforkd.pc",
    } | {dirs["docdir"] + "/" + f for f in (
        "README.md", "ChangeLog", "COPYING", "DEVELOPERS.md",
        "preforkd.conf")}
    got = files()
    check(got == want, "installed files are exactly the expected ones%s"
          % ("" if got == want else ": missing %s, extra %s"
             % (sorted(want - got), sorted(got - want))))
    check(os.path.isdir(dest + dirs["moduledir"]),
          "the module directory is made: %s" % dirs["moduledir"])
    prog = dest + dirs["sbindir"] + "/preforkd"
    check(os.access(prog, os.X_OK), "the program is executable")
    r = subprocess.run([prog, "-t", "-c", dest + dirs["sysconfdir"] +
                        "/preforkd.conf"], capture_output=True, text=True)
    check(r.returncode == 0, "the installed configuration is valid")
    # Issue 8 (D18): the sample named /usr/local/var whatever the build's
    # --localstatedir and --runstatedir (distcheck's prefix shows it).
    sample = open(dest + dirs["sysconfdir"] + "/preforkd.conf").read()
    for line in ('#pidfile = "%s/preforkd/preforkd.pid"'
                 % os.environ["runstatedir"],
                 '#control_socket = "%s/preforkd/preforkd.ctl"'
                 % os.environ["runstatedir"],
                 '#log_file = "%s/log/preforkd.log"'
                 % os.environ["localstatedir"]):
        check(line in sample, "the installed sample has this build's "
              "paths: %s" % line)
    check("@" not in sample,
          "no placeholder is left in the sample")
    unit = open(dest + dirs["systemdsystemunitdir"] +
                "/preforkd.service").read()
    check("ExecStart=%s/preforkd -f -c %s/preforkd.conf" % (
        dirs["sbindir"], dirs["sysconfdir"]) in unit,
        "the unit names the configured paths")
    check("@" not in unit.replace("preforkd@", "").replace("%t", ""),
          "no placeholder is left in the unit")

    # An existing configuration is never overwritten.
    conf = dest + dirs["sysconfdir"] + "/preforkd.conf"
    with open(conf, "w") as f:
        f.write("workers = 7\n")
    make("install")
    check(open(conf).read() == "workers = 7\n",
          "a second install keeps the administrator's configuration")

    # systemd-analyze verify, with ExecStart pointing into DESTDIR.
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pfd.log("note: systemd-analyze is not installed: units not "
                "verified (apt-get install systemd)")
    else:
        udir = tempfile.mkdtemp(dir=os.environ.get("TMPDIR", "/tmp"))
        for src, name in (("preforkd.service", "preforkd.service"),
                          ("preforkd@.service", "preforkd@test.service")):
            text = open(dest + dirs["systemdsystemunitdir"] + "/" +
                        src).read()
            text = text.replace(dirs["sbindir"] + "/", dest +
                                dirs["sbindir"] + "/")
            with open(os.path.join(udir, name), "w") as f:
                f.write(text)
            r = subprocess.run([analyze, "verify", "--man=no",
                                os.path.join(udir, name)],
                               capture_output=True, text=True)
            out = (r.stdout + r.stderr).strip()
            check(r.returncode == 0 and name not in out,
                  "systemd-analyze verify %s: %s" % (name, out or "clean"))
        shutil.rmtree(udir)

    make("uninstall")
    left = files()
    check(left == {dirs["sysconfdir"] + "/preforkd.conf"},
          "uninstall removes everything but the changed configuration: %s"
          % sorted(left))
finally:
    shutil.rmtree(dest, ignore_errors=True)
