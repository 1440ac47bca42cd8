#!/usr/bin/python3
# Checks for tests/integration/test-outbox-*.sh: what the harness SMTP
# server stored against the raw bytes the store holds.
#   outbox-check.py attach MAIL RAW...   multipart/mixed: a text/plain
#       summary, then one message/rfc822 part per RAW, byte-identical
#       (with CRLF line ends, the SMTP wire form)
#   outbox-check.py redirect MAIL RAW    Resent-From/-To/-Date/
#       -Message-ID, X-Triage-Ticket and X-Loop first, then RAW exactly
#   outbox-check.py header MAIL NAME     print the header's value
import re
import sys


def crlf(b):
    return re.sub(rb"(?<!\r)\n", b"\r\n", b)


def attach(mail, raws):
    head, _, _ = mail.partition(b"\r\n\r\n")
    m = re.search(rb'(?im)^Content-Type: multipart/mixed;\s*boundary="?([^"\r\n]+)"?', head)
    assert m, "not multipart/mixed"
    parts = mail.split(b"\r\n--" + m.group(1))[1:]
    assert parts[-1].startswith(b"--"), "no close delimiter"
    parts = [p[2:] for p in parts[:-1]]
    heads = [p.partition(b"\r\n\r\n")[0] for p in parts]
    bodies = [p.partition(b"\r\n\r\n")[2] for p in parts]
    assert re.search(rb"(?i)Content-Type: text/plain", heads[0]), "no summary"
    assert len(parts) == 1 + len(raws), "%d parts for %d messages" % (len(parts), len(raws))
    for i, w in enumerate(raws):
        assert re.search(rb"(?i)Content-Type: message/rfc822", heads[i + 1])
        assert bodies[i + 1] == crlf(w), "attachment %d differs" % (i + 1)
    assert re.search(rb"(?m)^X-Loop: triage@example.com\r$", head), "no X-Loop"
    assert re.search(rb"(?m)^X-Triage-Ticket: ", head), "no X-Triage-Ticket"


def redirect(mail, raw):
    raw = crlf(raw)
    assert mail.endswith(raw), "the original bytes are not intact"
    block = mail[: len(mail) - len(raw)]
    for h in (b"Resent-From", b"Resent-To", b"Resent-Date",
              b"Resent-Message-ID", b"X-Triage-Ticket", b"X-Loop"):
        assert re.search(rb"(?m)^" + h + rb": ", block), "no " + h.decode()
    assert b"\r\n\r\n" not in block, "a body before the original"


def header(mail, name):
    head = mail.partition(b"\r\n\r\n")[0]
    m = re.search(rb"(?im)^" + name.encode() + rb":\s*(.*)\r$", head)
    print(m.group(1).decode() if m else "")


mode, mail = sys.argv[1], open(sys.argv[2], "rb").read()
if mode == "attach":
    attach(mail, [open(f, "rb").read() for f in sys.argv[3:]])
elif mode == "redirect":
    redirect(mail, open(sys.argv[3], "rb").read())
elif mode == "header":
    header(mail, sys.argv[3])
