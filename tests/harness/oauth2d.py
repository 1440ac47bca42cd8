#!/usr/bin/python3
"""An OAuth2 token-introspection endpoint for triage's tests.

Dovecot's oauth2 passdb asks it whether an XOAUTH2 / OAUTHBEARER token is
good (tests/harness/dovecot.conf.in, dovecot-oauth2.conf.ext).  It
answers {"active": true, "username": USER} for a token listed in
DIR/tokens ("TOKEN USER" a line, read again at every request, so a test
grants and revokes tokens by editing the file) and {"active": false}
otherwise, as RFC 7662 says.  The token is taken from any of Dovecot's
introspection_mode requests: POST with token=... (post), GET
...?token=... or with the token appended to the URL (get), GET with
"Authorization: Bearer ..." (auth).

Every answer is logged to --log as one line: the mode, the first 12 hex
digits of the token's SHA-256 (tests compare with sha256sum, and the
token itself stays out of the log), active or not, the user.  DIR/.ready holds our
pid once we listen (harness_oauth2_start waits for it; watchdog.sh kills
that pid).

Must run under Debian's /usr/bin/python3.
"""
import argparse
import hashlib
import json
import os
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def lookup(directory, token):
    """The user the token belongs to, or None."""
    try:
        with open(os.path.join(directory, "tokens")) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) == 2 and parts[0] == token:
            return parts[1]
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def token_from_get(self):
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            return "auth", auth[7:].strip()
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        if "token" in q:
            return "get", q["token"][0]
        if "access_token" in q:
            return "get", q["access_token"][0]
        # introspection_mode = get appends the token to the URL as is.
        return "get", urllib.parse.unquote(url.path.rsplit("/", 1)[-1])

    def answer(self, mode, token):
        user = lookup(self.server.dir, token)
        body = {"active": False}
        if user is not None:
            body = {"active": True, "username": user}
        data = json.dumps(body).encode()
        with open(self.server.log, "a") as f:
            f.write("introspect mode=%s sha256=%s active=%s user=%s\n" %
                    (mode, hashlib.sha256(token.encode()).hexdigest()[:12],
                     "true" if user is not None else "false",
                     user or "-"))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        mode, token = self.token_from_get()
        self.answer(mode, token)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        token = form.get("token", [""])[0]
        if not token:
            mode, token = self.token_from_get()
        self.answer("post", token)

    def log_message(self, fmt, *args):
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--log", required=True)
    a = p.parse_args()
    # Threads: Dovecot keeps its connection open between requests.
    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    server.dir = a.dir
    server.log = a.log
    with open(os.path.join(a.dir, ".ready"), "w") as f:
        f.write("%d\n" % os.getpid())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
