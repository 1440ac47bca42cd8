#!/usr/bin/python3
"""The I/O limit for bench/drain.sh: log in (over TLS, or in plaintext
when CAFILE is "none") and fetch every
message body with one "UID FETCH 1:* BODY.PEEK[]", reading the response
as a stream and throwing the bytes away (literals are skipped by their
announced length, so nothing is parsed that a client could avoid).

usage: drain-fetch.py HOST PORT CAFILE|none USER PASSWORD [FOLDER]
prints: messages bytes seconds
"""
import re
import socket
import ssl
import sys
import time

host, port, ca, user, password = sys.argv[1:6]
folder = sys.argv[6] if len(sys.argv) > 6 else "INBOX"
sock = socket.create_connection((host, int(port)))
if ca != "none":
    ctx = ssl.create_default_context(cafile=ca)
    sock = ctx.wrap_socket(sock, server_hostname=host)
f = sock.makefile("rb", buffering=1 << 20)


def command(tag, line):
    sock.sendall(("%s %s\r\n" % (tag, line)).encode())
    while True:
        resp = f.readline()
        if resp.startswith(tag.encode() + b" "):
            if not resp.startswith(tag.encode() + b" OK"):
                sys.exit("%s failed: %r" % (line.split()[0], resp))
            return


f.readline()  # greeting
command("a1", "LOGIN %s %s" % (user, password))
command("a2", "SELECT %s" % folder)
LIT = re.compile(rb"\{(\d+)\}\r\n$")
t0 = time.monotonic()
sock.sendall(b"a3 UID FETCH 1:* BODY.PEEK[]\r\n")
messages = body = 0
while True:
    line = f.readline()
    if not line:
        sys.exit("connection closed")
    if line.startswith(b"a3 "):
        break
    m = LIT.search(line)
    if m:
        n = int(m.group(1))
        messages += 1
        body += n
        while n > 0:
            chunk = f.read(min(n, 1 << 20))
            if not chunk:
                sys.exit("connection closed in a literal")
            n -= len(chunk)
t1 = time.monotonic()
command("a4", "LOGOUT")
print(messages, body, "%.3f" % (t1 - t0))
