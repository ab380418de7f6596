#!/usr/bin/python3
"""qm agent host PID 1: the first process of the second OpenStack agent host (a private mount +
uts + pid namespace made by `unshare --fork --pid`, test/openstack/agent-hosts.ts). It runs
agent-host-setup.sh (mounts, hostname, sshd, the real neutron-dhcp-agent and
neutron-metadata-agent), then reaps every orphan of the host until SIGTERM; when it exits the
kernel kills every process left in the host's PID namespace (the agents, their dnsmasq, haproxy,
privsep helpers, sshd) and the host's mount namespace (its /run/netns, so its qdhcp namespaces
and their veth pairs) goes with them.

usage: agent-host-pid1.py RIGDIR NAME PORT   (the rig checks this exact command line before SIGTERM)
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
hostdir = os.path.join(rig, name)
log = open(os.path.join(hostdir, "setup.log"), "ab", buffering=0)
rc = subprocess.call(["/bin/bash", os.path.join(here, "agent-host-setup.sh"), rig, name, port],
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
