#!/usr/bin/python3
"""qmt-rig reaper: start a program that daemonises (dnsmasq, haproxy, the proxy stand-in),
print its exit status as one line "exit N" on stdout, then stay as the *subreaper* of the
daemon it left behind and reap it when it exits.

Why: the rig's daemons double-fork like the real ones. Their parent then becomes the nearest
subreaper or PID 1, and the PID 1 of some containers never calls wait(): every killed daemon
would stay a zombie, still listed by ps and still "alive" for kill(pid, 0). With this process
as their subreaper a killed dnsmasq or haproxy disappears as it would on a real node.
The reaper exits as soon as it has no children left.

usage: reaper.py PROGRAM ARGS...   (the program's own output goes to $QMT_LOG)
"""
import ctypes
import os
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36

libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.stderr.write("reaper: prctl(PR_SET_CHILD_SUBREAPER) failed: errno %d\n" % ctypes.get_errno())

log = open(os.environ.get("QMT_LOG", os.devnull), "ab", buffering=0)
try:
    child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=True)
    rc = child.wait()
except OSError as e:
    log.write(("reaper: cannot run %r: %s\n" % (sys.argv[1:], e)).encode())
    rc = 127
sys.stdout.write("exit %d\n" % rc)
sys.stdout.flush()
# nobody reads us any more: never die of a closed pipe
devnull = os.open(os.devnull, os.O_RDWR)
os.dup2(devnull, 1)
os.dup2(devnull, 2)
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
    except InterruptedError:
        continue
