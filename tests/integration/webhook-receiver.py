#!/usr/bin/python3
# A webhook receiver for the tests: Python's http.server, over TLS with a
# harness certificate (--cert/--key) or plain http on 127.0.0.1.  Each
# POST is checked the way README "Webhooks" tells a receiver to: the
# X-Triage-Signature is recomputed with hmac over the raw body and
# compared in constant time.  One JSON line per request goes to --log:
#   {"n": 1, "path": "/ok", "status": 503, "sig_ok": true,
#    "idempotency_key": "...", "event": "qualify", "body": {...}}
# status is what was answered; "hung" when the request was left without
# an answer (--hang N: the first N requests of a path).
#
# --script PATH=503,503,400: the answers of PATH's first requests in
# turn; after them (and for any other path) 200.
import argparse, hashlib, hmac, http.server, json, ssl, sys, threading, time

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--secret-file", required=True)
p.add_argument("--log", required=True)
p.add_argument("--cert")
p.add_argument("--key")
p.add_argument("--script", action="append", default=[])
p.add_argument("--hang", action="append", default=[],
               help="PATH=N: leave the first N requests unanswered")
a = p.parse_args()

secret = open(a.secret_file, "rb").read().rstrip(b"\n")
scripts = {}
for s in a.script:
    path, codes = s.split("=", 1)
    scripts[path] = [int(c) for c in codes.split(",") if c]
hangs = {s.split("=")[0]: int(s.split("=")[1]) for s in a.hang}
lock = threading.Lock()
count = {"all": 0}
seen = {}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        got = self.headers.get("X-Triage-Signature", "")
        with lock:
            count["all"] += 1
            n = count["all"]
            k = seen.get(self.path, 0)
            seen[self.path] = k + 1
        hang = k < hangs.get(self.path, 0)
        script = scripts.get(self.path, [])
        status = "hung" if hang else (
            script[k - hangs.get(self.path, 0)]
            if k - hangs.get(self.path, 0) < len(script) else 200)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        rec = {"n": n, "path": self.path, "status": status,
               "sig_ok": hmac.compare_digest(want, got),
               "idempotency_key": self.headers.get("Idempotency-Key"),
               "event": self.headers.get("X-Triage-Event"),
               "content_type": self.headers.get("Content-Type"),
               "body": parsed}
        if hang:
            with lock, open(a.log, "a") as f:
                f.write(json.dumps(rec) + "\n")
            time.sleep(60)
            self.close_connection = True
            return
        text = b"ok\n" if status < 300 else b"try again later\n"
        if status == 400:
            text = b"unknown lead source\n"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)
        self.wfile.flush()
        with lock, open(a.log, "a") as f:
            f.write(json.dumps(rec) + "\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", a.port), Handler)
if a.cert:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready", flush=True)
srv.serve_forever()
