#!/usr/bin/python3
"""A real SMTP server for the mail tests (Debian's python3-aiosmtpd).

Listens on 127.0.0.1 (--port, 0 picks a free one), prints "READY <port>" on stdout, and saves every message it
accepts into --dir as NNNN.eml (the bytes as received, dot-stuffing undone) and NNNN.json: the envelope, the
login used, and the message as Python's email package parses it (decoded subject, text and html parts, defects),
so the C++ tests check Tyto's output against an independent parser.

--rcpt-reply / --data-reply answer RCPT TO / DATA with that reply instead ("550 5.1.1 no such user");
--auth USER:PASSWORD requires SMTP AUTH (over plain TCP, as on a loopback relay).
"""
import argparse
import asyncio
import email
import email.policy
import json
import os
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def parse_message(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = {
        "subject": str(msg["subject"]) if msg["subject"] is not None else None,
        "from": str(msg["from"]) if msg["from"] is not None else None,
        "to": [str(a.addr_spec) for a in msg["to"].addresses] if msg["to"] is not None else [],
        "cc": [str(a.addr_spec) for a in msg["cc"].addresses] if msg["cc"] is not None else [],
        "reply_to": str(msg["reply-to"]) if msg["reply-to"] is not None else None,
        "date": str(msg["date"]) if msg["date"] is not None else None,
        "date_valid": msg["date"] is not None and msg["date"].datetime is not None,
        "message_id": str(msg["message-id"]) if msg["message-id"] is not None else None,
        "mime_version": str(msg["mime-version"]) if msg["mime-version"] is not None else None,
        "content_type": msg.get_content_type(),
        "header_names": [k for k in msg.keys()],
        "defects": [type(d).__name__ for d in msg.defects],
    }
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    out["text"] = text.get_content() if text is not None else None
    out["html"] = html.get_content() if html is not None and html.get_content_type() == "text/html" else None
    for part in msg.walk():
        out["defects"] += [type(d).__name__ for d in part.defects]
    return out


class Handler:
    def __init__(self, args):
        self.args = args
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.args.rcpt_reply:
            return self.args.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.args.data_reply:
            return self.args.data_reply
        self.count += 1
        base = os.path.join(self.args.dir, "%04d" % self.count)
        raw = envelope.original_content
        with open(base + ".eml.tmp", "wb") as f:
            f.write(raw)
        login = None
        auth = getattr(session, "auth_data", None)
        if isinstance(auth, LoginPassword):
            login = auth.login.decode()
        record = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos, "login": login,
                  "message": parse_message(raw)}
        with open(base + ".json.tmp", "w") as f:
            json.dump(record, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        os.rename(base + ".json.tmp", base + ".json")  # last: its presence says the message is complete
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rcpt-reply")
    parser.add_argument("--data-reply")
    parser.add_argument("--auth")
    args = parser.parse_args()

    authenticator = None
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
                  and auth_data.password.decode() == password)
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    handler = Handler(args)

    def factory():
        return SMTP(handler, hostname="tyto-test-relay", authenticator=authenticator, auth_required=bool(args.auth),
                    auth_require_tls=False)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(factory, "127.0.0.1", args.port, reuse_address=True))
    print("READY %d" % server.sockets[0].getsockname()[1], flush=True)
    loop.run_forever()


if __name__ == "__main__":
    sys.exit(main())
