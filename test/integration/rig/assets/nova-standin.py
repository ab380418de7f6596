"""Nova's metadata API as the rigs' metadata_agent.ini names it (quantum-meta's nova.reach asks it):
GET / answers Nova's version list. Binds a free port on 127.0.0.1 and writes it to argv[1] (renamed into
place, so a reader never sees half of it)."""
import http.server
import os
import sys


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the stdlib's name)
        b = b'2012-08-10\nlatest'
        self.send_response(200)
        self.send_header('Content-Length', str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def log_message(self, *a):
        pass


s = http.server.HTTPServer(('127.0.0.1', 0), H)
with open(sys.argv[1] + '.tmp', 'w') as f:
    f.write(str(s.server_address[1]))
os.rename(sys.argv[1] + '.tmp', sys.argv[1])
s.serve_forever()
