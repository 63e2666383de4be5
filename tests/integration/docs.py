#!/usr/bin/env python3
"""docs: the manuals and the sample configuration stay in step with the
code: mandoc -T lint is clean, the SYNOPSIS is usage(), every option
of conf.c is documented in preforkd.conf(5) and present in the sample,
and every function of handler.h in preforkd-handler(3)."""

import os
import re
import shutil
import subprocess

import pfd
from pfd import check

top = os.environ["top_srcdir"]
build = os.environ.get("top_builddir", top)
man8 = os.path.join(build, "man", "preforkd.8")
man5 = os.path.join(build, "man", "preforkd.conf.5")
man3 = os.path.join(build, "man", "preforkd-handler.3")

with open(os.path.join(top, "src", "conf.c")) as f:
    options = re.findall(r'CFG_[A-Z_]+\("(\w+)"', f.read())
check(len(options) >= 11, "conf.c declares %d options" % len(options))
with open(man5) as f:
    page = f.read()
with open(os.path.join(build, "etc", "preforkd.conf")) as f:
    sample = f.read()
for o in options:
    check(re.search(r"^\.It Ic %s\b" % o, page, re.M),
          "preforkd.conf(5) documents %s" % o)
    check(re.search(r"^#%s = " % o, sample, re.M),
          "etc/preforkd.conf lists %s" % o)

with open(os.path.join(top, "include", "preforkd", "handler.h")) as f:
    funcs = re.findall(r"^\w[\w ]*\t\**(handler_\w+)\(", f.read(), re.M)
check(len(funcs) >= 9, "handler.h declares %d functions" % len(funcs))
with open(man3) as f:
    page3 = f.read()
for fn in funcs:
    check(re.search(r"^\.Nm %s\b" % fn, page3, re.M) and
          re.search(r"^\.Fn %s \"" % fn, page3, re.M),
          "preforkd-handler(3) names and declares %s" % fn)

lines = subprocess.run([pfd.PREFORKD, "-h"], capture_output=True,
                       text=True).stdout.splitlines()
usage = lines[0].replace("usage: ", "") + " " + lines[1].strip()
mandoc = shutil.which("mandoc")
if mandoc is None:
    pfd.skip("mandoc is not installed: lint and SYNOPSIS not checked "
             "(apt-get install mandoc)")
for page_path in (man8, man5, man3):
    r = subprocess.run([mandoc, "-T", "lint", "-W", "warning", page_path],
                       capture_output=True, text=True)
    check(r.returncode == 0, "mandoc -T lint %s: %s"
          % (os.path.basename(page_path), (r.stdout + r.stderr).strip()))
text = subprocess.run([mandoc, "-T", "ascii", man8], capture_output=True,
                      text=True).stdout
text = re.sub(r".\x08", "", text)
syn = text.split("SYNOPSIS", 1)[1].split("DESCRIPTION", 1)[0]
syn = " ".join(syn.split())
check(syn == usage,
      "the SYNOPSIS (%r) is the usage lines (%r)" % (syn, usage))
