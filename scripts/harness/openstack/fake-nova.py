#!/usr/bin/python3
"""fake-nova.py - the Nova metadata API stand-in of the quantum-meta OpenStack harness.

Listens on 127.0.0.1:PORT only (up.sh starts it as user neutron: --port 8775 --secret SECRET).
The metadata agent proxies an instance's request here with X-Instance-ID, X-Tenant-ID and
X-Instance-ID-Signature = HMAC-SHA256(metadata_proxy_shared_secret, X-Instance-ID), as it does to
nova-api-metadata. A correct signature gets 200 and, for .../instance-id, the instance id itself
(so a test's curl from inside an instance learns which port the chain resolved); a wrong or missing
one 403, as Nova answers. One JSON line per request goes to stdout (up.sh: fake-nova.console.log).
"""
import argparse
import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--secret', required=True)
    args = ap.parse_args()
    secret = args.secret.encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def log_message(self, fmt, *a):  # noqa: N802 (the stdlib's name)
            pass

        def answer(self, status: int, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header('Content-Type', 'text/plain; charset=UTF-8')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            if self.command != 'HEAD':
                self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            iid = self.headers.get('X-Instance-ID', '')
            sig = self.headers.get('X-Instance-ID-Signature', '')
            want = hmac.new(secret, iid.encode(), hashlib.sha256).hexdigest()
            ok = bool(iid) and hmac.compare_digest(sig, want)
            if self.path.split('?', 1)[0] == '/' and not iid:
                # Nova answers GET / with its versions before any instance lookup (quantum-meta's --probe asks it)
                status, body = 200, '2012-08-10\nlatest'
            elif not ok:
                status, body = 403, 'Forbidden: the instance id signature does not match'
            elif self.path.rstrip('/') == '/openstack':
                status, body = 200, '2012-08-10\nlatest'
            elif self.path.rstrip('/').endswith('/instance-id'):
                status, body = 200, iid
            elif self.path.rstrip('/').endswith('/meta-data'):
                status, body = 200, 'instance-id\nlocal-ipv4\n'
            elif self.path.rstrip('/').endswith('/local-ipv4'):
                status, body = 200, self.headers.get('X-Forwarded-For', '').split(',')[0].strip()
            else:
                status, body = 404, 'Not Found'
            print(json.dumps({'time': time.time(), 'path': self.path, 'status': status, 'instance': iid,
                              'tenant': self.headers.get('X-Tenant-ID', ''),
                              'forwarded_for': self.headers.get('X-Forwarded-For', '')}), flush=True)
            self.answer(status, body)

        do_HEAD = do_GET

    server = ThreadingHTTPServer(('127.0.0.1', args.port), Handler)
    print(json.dumps({'listening': f'127.0.0.1:{args.port}'}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == '__main__':
    main()
