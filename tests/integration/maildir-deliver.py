#!/usr/bin/python3
"""Deliver files into a Maildir as an MDA does, in one process.

usage: maildir-deliver.py MAILDIR FILE...

Each FILE is copied into MAILDIR/tmp and renamed into MAILDIR/new under a
name unique for good (Dovecot knows a message by its base name); Dovecot
gives them UIDs when it next looks at the folder.  daemon-lib.sh's
`deliver` runs two processes a message: thousands take minutes on a busy
machine, this takes a second.
"""
import os
import shutil
import sys
import time


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    md = sys.argv[1]
    for sub in ("tmp", "cur", "new"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    stamp = time.time_ns()
    for i, f in enumerate(sys.argv[2:], 1):
        name = "%d.M%dP%d.deliver" % (stamp, i, os.getpid())
        shutil.copyfile(f, os.path.join(md, "tmp", name))
        os.rename(os.path.join(md, "tmp", name), os.path.join(md, "new", name))


if __name__ == "__main__":
    main()
