#!/usr/bin/python3
"""qm-fleet host PID 1: the first process of one "host" (a private mount + uts + pid namespace
made by `unshare --fork --pid`). It runs host-setup.sh (mounts, hostname, sshd), then reaps every
orphan of the host until SIGTERM; when it exits the kernel kills every process left in the
host's PID namespace and the host's mount namespace (its /run/netns, so its network namespaces)
goes with them.

usage: host-pid1.py RIGDIR NAME PORT    (the rig checks this exact command line before SIGTERM)
"""
import os
import signal
import subprocess
import sys

# PID 1 of a namespace ignores signals it has no handler for
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
signal.signal(signal.SIGINT, lambda *_: os._exit(0))

rig, name, port = sys.argv[1:4]
here = os.path.dirname(os.path.abspath(__file__))
log = open(os.path.join(rig, "hosts", name, "setup.log"), "ab", buffering=0)
rc = subprocess.call(["/bin/bash", os.path.join(here, "host-setup.sh"), rig, name, port], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
with open(os.path.join(rig, "hosts", name, "status"), "w") as f:
    f.write("ready\n" if rc == 0 else "failed %d\n" % rc)
while True:
    try:
        os.wait()
    except ChildProcessError:
        signal.pause()
    except InterruptedError:
        pass
