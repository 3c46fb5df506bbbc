"""Build RFC 5322 messages from rendered content, with headers set in code."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from connector.mail.render import Rendered

# SMTP-ready serialisation; lines may run to 998 so References is never folded into an
# encoded-word (CPython's policy otherwise RFC 2047-encodes long References headers).
WIRE_POLICY = policy.SMTP.clone(max_line_length=998)


def message_id(effect_key: str, domain: str) -> str:
    """A stable Message-ID per effect, so a re-queued message keeps its identity."""
    digest = hashlib.sha256(effect_key.encode()).hexdigest()[:24]
    return f"<tf.{digest}@{domain}>"


def compose(rendered: Rendered, *, sender: str, recipient: str, effect_key: str, when: datetime,
            auto: str = "auto-generated", references: tuple[str, ...] = ()) -> bytes:
    """The complete message as bytes (CRLF line ends, ready for SMTP or an .eml file)."""
    domain = sender.rpartition("@")[2] or "ticketflow.invalid"
    message = EmailMessage(policy=WIRE_POLICY)
    message["From"] = sender
    message["To"] = recipient
    message["Reply-To"] = sender
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = message_id(effect_key, domain)
    message["Auto-Submitted"] = auto
    message["X-Auto-Response-Suppress"] = "All"
    if references:
        message["In-Reply-To"] = references[-1]
        message["References"] = " ".join(references)
    message.set_content(rendered.text)
    if rendered.html is not None:
        message.add_alternative(rendered.html, subtype="html")
    return message.as_bytes(policy=WIRE_POLICY)
