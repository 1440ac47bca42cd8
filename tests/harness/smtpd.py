#!/usr/bin/python3
"""A real SMTP server for triage's tests (aiosmtpd), not a mock.

Listens on 127.0.0.1 twice: a submission port with STARTTLS and an
implicit-TLS port, both with the harness's test-CA certificate, AUTH
PLAIN/LOGIN with one known user.  Every accepted message is stored in the
spool directory as NNNN.eml (the bytes of DATA, as received) and NNNN.env
(the envelope, one "key: value" a line: mail_from, rcpt (one line each),
auth, tls).  Tests read those files.

Extensions: 8BITMIME is offered unless --8bitmime 0, SMTPUTF8 only with
--smtputf8 1 (RFC 6152, RFC 6531), so a test can start it once with and
once without them.  The MAIL FROM parameters (BODY=8BITMIME, SMTPUTF8)
are kept in NNNN.env as a "mail_options:" line; an undeclared 8-bit byte
in DATA is noted there as "data_8bit: yes".

Faults on demand: a line "ADDRESS CODE TEXT" in SPOOL/reject makes RCPT TO
that address answer "CODE TEXT" (e.g. "bob@x.example 450 mailbox busy" or
"... 550 no such user"); "* CODE TEXT" applies to every recipient.  The
file is read on every RCPT, so a test can change it between sends.

Must run under Debian's /usr/bin/python3 (it has aiosmtpd).
"""
import argparse
import asyncio
import logging
import os
import signal
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Spool:
    """Stores messages and answers the reject control file."""

    def __init__(self, path):
        self.path = path
        # Continue numbering after a restart: never overwrite a message.
        seqs = [int(n[:4]) for n in os.listdir(path)
                if n.endswith(".eml") and n[:4].isdigit()]
        self.seq = max(seqs, default=0)

    def reject_for(self, address):
        try:
            with open(os.path.join(self.path, "reject")) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return None
        for line in lines:
            parts = line.split(None, 2)
            if len(parts) < 2 or line.startswith("#"):
                continue
            who, code = parts[0], parts[1]
            text = parts[2] if len(parts) > 2 else "rejected by test"
            if who == "*" or who.lower() == address.lower():
                return "%s %s" % (code, text)
        return None

    def store(self, envelope, session, tls):
        self.seq += 1
        base = os.path.join(self.path, "%04d" % self.seq)
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        # Write the envelope last, via rename: a test that sees NNNN.env
        # can read NNNN.eml whole.
        with open(base + ".eml", "wb") as f:
            f.write(data)
        lines = ["mail_from: %s" % envelope.mail_from]
        lines.append("mail_options: %s" % " ".join(envelope.mail_options))
        lines.append("data_8bit: %s" % (
            "yes" if any(b > 0x7f for b in data) else "no"))
        lines += ["rcpt: %s" % r for r in envelope.rcpt_tos]
        login = session.auth_data.login if isinstance(
            session.auth_data, LoginPassword) else session.auth_data
        if isinstance(login, bytes):
            login = login.decode("utf-8", "replace")
        lines.append("auth: %s" % (login or ""))
        lines.append("tls: %s" % ("yes" if tls else "no"))
        with open(base + ".env.tmp", "w") as f:
            f.write("\n".join(lines) + "\n")
        os.rename(base + ".env.tmp", base + ".env")
        return base


class Handler:
    def __init__(self, spool, eightbit=True):
        self.spool = spool
        self.eightbit = eightbit

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        session.host_name = hostname
        if not self.eightbit:
            responses = [r for r in responses if "8BITMIME" not in r]
        return responses

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        answer = self.spool.reject_for(address)
        if answer is not None:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        tls = bool(session.ssl) or server.implicit_tls
        base = self.spool.store(envelope, session, tls)
        logging.info("stored %s from %s to %s", os.path.basename(base),
                     envelope.mail_from, ",".join(envelope.rcpt_tos))
        return "250 OK stored as %s" % os.path.basename(base)


class HarnessSMTP(SMTP):
    """aiosmtpd's SMTP, told whether its listener is implicit TLS."""

    def __init__(self, *args, implicit_tls=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.implicit_tls = implicit_tls


def make_authenticator(user, password):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data)
    return authenticator


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--spool", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls-port", type=int, required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password-file", required=True)
    p.add_argument("--auth-required", type=int, default=1)
    p.add_argument("--log", required=True)
    p.add_argument("--8bitmime", dest="eightbit", type=int, default=1)
    p.add_argument("--smtputf8", type=int, default=0)
    a = p.parse_args()

    # Implicit TLS is TLS: aiosmtpd's "AUTH without TLS" warning is moot.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not")
    logging.basicConfig(filename=a.log, level=logging.DEBUG,
                        format="%(asctime)s %(name)s %(message)s")
    with open(a.password_file) as f:
        password = f.read().strip()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(a.cert, a.key)
    spool = Spool(a.spool)
    handler = Handler(spool, eightbit=bool(a.eightbit))
    auth = make_authenticator(a.user, password)

    def factory(implicit):
        # On the implicit-TLS port the whole session is TLS already, but
        # aiosmtpd only knows about STARTTLS: let it offer AUTH there.
        return HarnessSMTP(handler, hostname="smtp.harness.test",
                           tls_context=None if implicit else ctx,
                           authenticator=auth,
                           auth_required=bool(a.auth_required),
                           auth_require_tls=not implicit, timeout=30,
                           enable_SMTPUTF8=bool(a.smtputf8),
                           implicit_tls=implicit)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    plain = loop.run_until_complete(loop.create_server(
        lambda: factory(False), "127.0.0.1", a.port))
    implicit = loop.run_until_complete(loop.create_server(
        lambda: factory(True), "127.0.0.1", a.tls_port, ssl=ctx))
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.add_signal_handler(signal.SIGINT, loop.stop)
    with open(os.path.join(a.spool, ".ready"), "w") as f:
        f.write("%d\n" % os.getpid())
    try:
        loop.run_forever()
    finally:
        plain.close()
        implicit.close()
        loop.run_until_complete(plain.wait_closed())
        loop.run_until_complete(implicit.wait_closed())
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
