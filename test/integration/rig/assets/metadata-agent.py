#!/usr/bin/python3
"""Stand-in for the metadata agent (quantum-metadata-agent / neutron-metadata-agent), written
by the quantum-meta test rig. The rig installs it as TMP/usr/bin/<project>-metadata-agent so
that its command line reads like the real agent's.

It listens on the UNIX socket the ns-metadata-proxy forwards to ($state_path/metadata_proxy)
in the root namespace, and answers every request 200 with a JSON document that echoes what the
proxy added (X-Quantum-Network-ID / X-Neutron-Network-ID, X-Forwarded-For, …). It does not talk
to Neutron or Nova: it only proves that the request went VM -> proxy -> socket.

usage: <project>-metadata-agent --config-file=FILE [--config-file=FILE ...]
The socket is `metadata_proxy_socket` from [DEFAULT] of the last file that sets it, else
`$state_path/metadata_proxy`, as in the real agent.
Prints "ready" on stdout once it accepts connections; logs requests on stderr.
SIGTERM removes the socket and exits.
"""
import configparser
import http.server
import json
import os
import signal
import socketserver
import sys


def socket_path(argv):
    files = []
    it = iter(argv)
    for a in it:
        if a.startswith("--config-file="):
            files.append(a.split("=", 1)[1])
        elif a == "--config-file":
            files.append(next(it))
    found = {}
    for f in files:
        cp = configparser.ConfigParser(interpolation=None, strict=False)
        cp.read(f)
        for key in ("state_path", "metadata_proxy_socket"):
            if cp.has_option("DEFAULT", key):
                found[key] = cp.get("DEFAULT", key)
    if "metadata_proxy_socket" in found:
        return found["metadata_proxy_socket"].replace("$state_path", found.get("state_path", ""))
    if "state_path" in found:
        return os.path.join(found["state_path"], "metadata_proxy")
    sys.exit("no metadata_proxy_socket and no state_path in %r" % files)


path = socket_path(sys.argv[1:])


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "qmt-rig-metadata-agent"

    def address_string(self):
        return "<local>"  # a UNIX socket peer has no address

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.headers.get("X-Forwarded-For", "-") if self.headers else "-", fmt % args))
        sys.stderr.flush()

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        doc = {
            "agent": "qmt-rig stand-in metadata agent",
            "method": self.command,
            "path": self.path,
            "network_id": self.headers.get("X-Neutron-Network-ID") or self.headers.get("X-Quantum-Network-ID"),
            "router_id": self.headers.get("X-Neutron-Router-ID") or self.headers.get("X-Quantum-Router-ID"),
            "forwarded_for": self.headers.get("X-Forwarded-For"),
            "headers": dict(self.headers.items()),
        }
        body = (json.dumps(doc, sort_keys=True) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = answer


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def stop(signum, frame):
    try:
        os.unlink(path)
    except OSError:
        pass
    os._exit(0)


if os.path.exists(path):
    os.unlink(path)
server = Server(path, Handler)
# the proxy may run as nobody (haproxy here does): connecting needs write permission
os.chmod(path, 0o666)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
sys.stdout.write("ready\n")
sys.stdout.flush()
server.serve_forever()
