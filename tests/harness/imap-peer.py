#!/usr/bin/python3
"""A scripted IMAP peer, for faults no real server produces.

usage: imap-peer.py SCENARIO PORTFILE
Listens on a free 127.0.0.1 port (written to PORTFILE once listening),
serves one connection in plaintext according to SCENARIO, then exits.
Everything the client sends is echoed to stdout, one "C: line" each.

  starttls-inject  answers STARTTLS with OK plus an injected line in the
                   same packet (CVE-2011-0411 style)
  preauth          greets with PREAUTH although STARTTLS is advertised
  hang-literal     logs in, selects, lists one message, then stops 10
                   bytes into the 100-byte literal of its body
  garbage          answers the body fetch with a line that is not IMAP
  nomove           no MOVE but UIDPLUS: serves one 10-byte message and
                   answers UID COPY / STORE / EXPUNGE with OK
  nomove-nouidplus the same without UIDPLUS
  courier          as Courier-IMAP: the personal namespace is "INBOX.",
                   UID COPY to a folder outside it is refused
  logindisabled    advertises LOGINDISABLED AUTH=PLAIN, accepts only
                   AUTHENTICATE PLAIN for sales / sales-pw, then serves
                   an empty INBOX

Real servers (Dovecot via tests/harness/harness.sh) are for everything
else; this exists because STYLE.md section 7 wants faults tested too.
"""
import base64
import os
import socket
import sys
import time


def serve(conn, scenario):
    f = conn.makefile("rb")

    def send(data):
        conn.sendall(data.encode())

    if scenario == "preauth":
        send("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in already\r\n")
    elif scenario == "logindisabled":
        send("* OK [CAPABILITY IMAP4rev1 LOGINDISABLED AUTH=PLAIN] ready\r\n")
    else:
        send("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] peer ready\r\n")
    while True:
        line = f.readline()
        if not line:
            return
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        print("C: " + text, flush=True)
        parts = text.split(" ", 2)
        tag = parts[0]
        cmd = " ".join(parts[1:]).upper()
        if cmd.startswith("STARTTLS"):
            # The injected line arrives with the OK, before any TLS.
            send(tag + " OK begin TLS now\r\n* OK [ALERT] injected\r\n")
            time.sleep(2)
            return
        if cmd.startswith("CAPABILITY"):
            send("* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN\r\n"
                 + tag + " OK done\r\n")
        elif cmd.startswith("AUTHENTICATE PLAIN"):
            words = text.split(" ")
            if len(words) > 3:          # SASL-IR: the response inline
                resp = words[3]
            else:
                send("+ \r\n")
                resp = f.readline().decode().strip()
                print("C: " + resp, flush=True)
            ok = base64.b64decode(resp) == b"\0sales\0sales-pw" or \
                base64.b64decode(resp) == b"sales\0sales\0sales-pw"
            send(tag + (" OK [CAPABILITY IMAP4rev1] in\r\n" if ok else
                        " NO [AUTHENTICATIONFAILED] bad PLAIN\r\n"))
        elif cmd.startswith("LOGIN") and scenario == "logindisabled":
            send(tag + " NO [PRIVACYREQUIRED] LOGIN is disabled\r\n")
        elif cmd.startswith("SELECT") and scenario == "logindisabled":
            send("* 0 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n"
                 "* OK [UIDNEXT 1] n\r\n" + tag + " OK [READ-WRITE] done\r\n")
        elif cmd.startswith("LOGIN"):
            caps = "IMAP4rev1" if scenario == "nomove-nouidplus" else \
                "IMAP4rev1 UIDPLUS"
            if scenario == "courier":
                caps += " NAMESPACE"
            send(tag + " OK [CAPABILITY " + caps + "] logged in\r\n")
        elif cmd.startswith("UID FETCH") and \
                scenario.startswith(("nomove", "courier")):
            if "BODY" not in cmd:
                send("* 1 FETCH (UID 1 RFC822.SIZE 10)\r\n" + tag + " OK done\r\n")
            else:
                send("* 1 FETCH (UID 1 RFC822.SIZE 10 BODY[] {10}\r\n"
                     "Subject: x)\r\n" + tag + " OK done\r\n")
        elif cmd.startswith("UID COPY") and scenario == "courier" and \
                not cmd.startswith("UID COPY 1 INBOX."):
            send(tag + " NO Invalid mailbox name.\r\n")
        elif cmd.startswith("NAMESPACE") and scenario == "courier":
            send('* NAMESPACE (("INBOX." ".")) NIL (("#shared." "."))\r\n'
                 + tag + " OK NAMESPACE completed.\r\n")
        elif cmd.startswith("UID COPY") or cmd.startswith("UID STORE") or \
                cmd.startswith("UID EXPUNGE"):
            send(tag + " OK done\r\n")
        elif cmd.startswith("SELECT"):
            send("* 1 EXISTS\r\n* OK [UIDVALIDITY 42] v\r\n"
                 "* OK [UIDNEXT 2] n\r\n" + tag + " OK [READ-WRITE] done\r\n")
        elif cmd.startswith("UID FETCH") and "BODY" not in cmd:
            send("* 1 FETCH (UID 1 RFC822.SIZE 100)\r\n" + tag + " OK done\r\n")
        elif cmd.startswith("UID FETCH"):
            if scenario == "garbage":
                send("* 1 FETCH (UID 1 RFC822.SIZE 100 BODY[] \x01\x02 ]]\r\n")
                time.sleep(5)
                return
            send("* 1 FETCH (UID 1 RFC822.SIZE 100 BODY[] {100}\r\n0123456789")
            time.sleep(30)
            return
        elif cmd.startswith("LOGOUT"):
            send("* BYE bye\r\n" + tag + " OK done\r\n")
            return
        else:
            send(tag + " BAD unknown to the script\r\n")


def main():
    scenario, portfile = sys.argv[1], sys.argv[2]
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    srv.settimeout(30)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        return 1
    try:
        serve(conn, scenario)
    except (BrokenPipeError, ConnectionResetError):
        pass
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
