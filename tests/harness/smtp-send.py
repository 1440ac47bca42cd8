#!/usr/bin/python3
"""Submit a message to the harness SMTP server, for tests.

usage: smtp-send.py MODE PORT USER PASSWORD FROM RCPT... < message
MODE is starttls | implicit | plain; USER "-" skips AUTH;
$SMTP_SEND_AUTH=PLAIN|LOGIN forces a mechanism.  Verifies the
server against $HARNESS_CA.  Prints one line: "ok [RCPT=CODE ...]" (the
refused recipients), "refused RCPT=CODE ...", "authfail CODE",
"notsupported ...", "certerror REASON" or "smtperror TYPE TEXT".
"""
import os
import smtplib
import ssl
import sys


def main():
    mode, port, user, password, sender = sys.argv[1:6]
    rcpts = sys.argv[6:]
    ctx = ssl.create_default_context(cafile=os.environ["HARNESS_CA"])
    data = sys.stdin.buffer.read()
    try:
        if mode == "implicit":
            s = smtplib.SMTP_SSL("127.0.0.1", int(port), context=ctx,
                                 timeout=10)
        else:
            s = smtplib.SMTP("127.0.0.1", int(port), timeout=10)
            if mode == "starttls":
                s.starttls(context=ctx)
        if user != "-":
            mech = os.environ.get("SMTP_SEND_AUTH")   # PLAIN | LOGIN
            if mech:
                s.user, s.password = user, password
                s.ehlo_or_helo_if_needed()
                s.auth(mech, getattr(s, "auth_" + mech.lower()),
                       initial_response_ok=False)
            else:
                s.login(user, password)
        refused = s.sendmail(sender, rcpts, data)
        s.quit()
        print("ok", " ".join("%s=%d" % (k, v[0])
                             for k, v in sorted(refused.items())))
    except smtplib.SMTPRecipientsRefused as e:
        print("refused", " ".join("%s=%d" % (k, v[0])
                                  for k, v in sorted(e.recipients.items())))
    except smtplib.SMTPNotSupportedError as e:
        print("notsupported", e)
    except smtplib.SMTPAuthenticationError as e:
        print("authfail", e.smtp_code)
    except ssl.SSLCertVerificationError as e:
        print("certerror", e.verify_message)
    except (smtplib.SMTPException, OSError) as e:
        print("smtperror", type(e).__name__, e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
