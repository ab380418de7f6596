#!/usr/bin/python3
"""PID 1 of the OpenStack harness's second L3 agent host (ha-up.sh): a private mount + uts + pid +
network namespace made by `unshare --mount --uts --pid --net --fork --mount-proc`. It runs
ha-host-setup.sh (mounts, hostname, relays, the real linuxbridge, L3 and metadata agents), writes
DIR/status, then reaps every orphan of the host until SIGTERM. When it exits, the kernel kills every
process left in the host's PID namespace (agents, keepalived, state-change monitors, haproxy,
privsep helpers, relays); its mount namespace goes, with its /run/netns and so its qrouter
namespaces, and its network namespace, with the ends of the veth cables ha-up.sh --wire put there.

usage: ha-host-pid1.py DIR NAME   (ha-down.sh checks this exact command line before SIGTERM)
"""
import os
import signal
import subprocess
import sys

# PID 1 of a namespace ignores the signals it has no handler for
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
signal.signal(signal.SIGINT, lambda *_: os._exit(0))

hostdir, name = sys.argv[1:3]
here = os.path.dirname(os.path.abspath(__file__))
log = open(os.path.join(hostdir, "setup.log"), "ab", buffering=0)
rc = subprocess.call(["/bin/bash", os.path.join(here, "ha-host-setup.sh"), hostdir, name],
                     stdin=subprocess.DEVNULL, stdout=log, stderr=log)
with open(os.path.join(hostdir, "status"), "w") as f:
    f.write("ready\n" if rc == 0 else "failed %d\n" % rc)
while True:
    try:
        os.wait()
    except ChildProcessError:
        signal.pause()
    except InterruptedError:
        pass
