"""The raw mail a test's `mail:` step delivers.

A person's message, or a delivery failure report (RFC 3464) returning one of ticketflow's.
"""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from connector.config.ruletests import MailSpec

_BOUNDARY = "ruletest-report"


def message_id(number: int, sender: str) -> str:
    """A Message-ID of the test's own (never one of ticketflow's shapes)."""
    return f"<ruletest.{number}@{parseaddr(sender)[1].rpartition('@')[2]}>"


def compose(spec: MailSpec, *, number: int, now: datetime, helpdesk: str,
            answers: str | None, recipient: str | None) -> tuple[str, bytes]:
    """(Message-ID, bytes) of the mail. `answers` is the Message-ID it replies to (or, for a
    bounce, returns); `recipient` whom a bounce says could not be reached."""
    mid = message_id(number, spec.from_)
    if spec.bounce is not None:
        return mid, _bounce(spec, mid=mid, now=now, helpdesk=helpdesk, answers=answers,
                            recipient=spec.bounce.recipient or recipient or "unknown@invalid")
    message = EmailMessage(policy=policy.SMTP)
    _headers(message, spec, mid=mid, now=now, helpdesk=helpdesk, answers=answers)
    message.set_content(spec.body or "\n")
    return mid, message.as_bytes()


def _headers(message: EmailMessage, spec: MailSpec, *, mid: str, now: datetime,
             helpdesk: str, answers: str | None) -> None:
    message["From"] = spec.from_
    message["To"] = spec.to or helpdesk
    message["Subject"] = spec.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = mid
    if answers is not None:
        message["In-Reply-To"] = answers
        message["References"] = answers
    for name, value in spec.headers.items():
        message[name] = value


def _bounce(spec: MailSpec, *, mid: str, now: datetime, helpdesk: str, answers: str | None,
            recipient: str) -> bytes:
    """A multipart/report as mail servers send it: words, the status, the returned header."""
    assert spec.bounce is not None
    status = spec.bounce.status
    head = EmailMessage(policy=policy.SMTP)
    # Like a mail server's report: no In-Reply-To; the returned message's header names it.
    _headers(head, spec, mid=mid, now=now, helpdesk=helpdesk, answers=None)
    # Written out, not set on `head`: the library would fill a multipart in itself.
    mime = ("MIME-Version: 1.0\r\nContent-Type: multipart/report; "
            f'report-type=delivery-status; boundary="{_BOUNDARY}"\r\n')
    words = spec.body or f"Your message could not be delivered to {recipient}."
    parts = [
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + words.replace("\n", "\r\n"),
        "Content-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; {parseaddr(spec.from_)[1].rpartition('@')[2]}\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} {recipient}: recipient rejected",
        "Content-Type: text/rfc822-headers\r\n\r\n"
        f"From: {helpdesk}\r\nTo: {recipient}\r\nMessage-ID: {answers or '<unknown@invalid>'}",
    ]
    body = "".join(f"--{_BOUNDARY}\r\n{part}\r\n" for part in parts) + f"--{_BOUNDARY}--\r\n"
    return (head.as_bytes().rstrip(b"\r\n") + b"\r\n" + mime.encode("ascii") + b"\r\n"
            + body.encode("utf-8"))
