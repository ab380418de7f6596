#!/usr/bin/python3
"""ovn-fake-nova.py - the nova metadata API stand-in of the ML2/OVN harness (scripts/harness/ovn/ovn-up.sh).

Listens on 127.0.0.1 only. For every request it checks what neutron-ovn-metadata-agent adds:
X-Instance-ID-Signature must be HMAC-SHA256(shared secret, X-Instance-ID), as nova checks it.
  - signature right: 200, a short text body naming the instance, project and client address
    (path .../instance-id: the instance id; .../user_data: 8 KiB, more than one TCP segment)
  - signature wrong or missing: 403 "Invalid proxy request signature." (nova's answer)
Each request is logged as one JSON line (method, path, headers, signature_ok) to --log.

usage: ovn-fake-nova.py --port 8777 --secret SECRET [--log FILE]
"""
import argparse
import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--secret", required=True)
parser.add_argument("--log", default="-")
opts = parser.parse_args()
log = sys.stdout if opts.log == "-" else open(opts.log, "a", buffering=1)
if log is sys.stdout:
    sys.stdout.reconfigure(line_buffering=True)


def record(entry):
    log.write(json.dumps(entry, sort_keys=True) + "\n")


class Metadata(BaseHTTPRequestHandler):
    server_version = "qm-ovn-fake-nova/1"
    protocol_version = "HTTP/1.1"

    def _serve(self):
        instance = self.headers.get("X-Instance-ID", "")
        signature = self.headers.get("X-Instance-ID-Signature", "")
        expected = hmac.new(opts.secret.encode(), instance.encode(), hashlib.sha256).hexdigest()
        signed = bool(instance) and hmac.compare_digest(signature, expected)
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "" and not instance:
            # Nova answers GET / with its versions before any instance lookup (quantum-meta's --probe asks it)
            status, body = 200, b"2012-08-10\nlatest"
        elif not signed:
            status, body = 403, b"403 Forbidden\n\nInvalid proxy request signature.\n"
        elif path.endswith("/instance-id"):
            status, body = 200, instance.encode()
        elif path.endswith("/user_data"):
            status = 200
            body = b"#cloud-config\n" + b"".join(b"# qm-ovn filler %05d %s\n" % (i, b"." * 40) for i in range(150))
        else:
            status = 200
            body = ("qm-ovn fake nova: instance %s project %s client %s network %s\n" % (
                instance, self.headers.get("X-Tenant-ID"), self.headers.get("X-Forwarded-For"),
                self.headers.get("X-OVN-Network-ID"))).encode()
        record({
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "peer": self.client_address[0],
            "method": self.command,
            "path": self.path,
            "headers": dict(self.headers.items()),
            "signature_ok": signed,
            "status": status,
        })
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = _serve

    def log_message(self, fmt, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", opts.port), Metadata)
server.daemon_threads = True
record({"listening": "127.0.0.1:%d" % opts.port})
server.serve_forever()
