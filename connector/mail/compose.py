"""Build RFC 5322 messages from rendered content, with every header set in code."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.header import Header
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import Policy
from email.utils import format_datetime
from typing import Any

from connector.errors import SkippableError
from connector.templates.render import Rendered

MAX_LINE = 998


def _fold(name: str, words: Sequence[str], policy: Policy) -> str:
    """`Name: w1 w2 ...` folded at spaces so lines stay within the policy's width; a word
    longer than that keeps a line of its own (never split, never encoded)."""
    limit = policy.max_line_length or MAX_LINE
    lines, line = [], f"{name}:"
    for word in words:
        if len(line) + 1 + len(word) > limit and line != f"{name}:":
            lines.append(line)
            line = ""  # the continuation starts with the folding space added below
        line += " " + word
    lines.append(line)
    return policy.linesep.join(lines) + policy.linesep


class _LiteralHeader(UnstructuredHeader, BaseHeader):
    """A header whose value is taken as it is: never read as header syntax.

    CPython's unstructured parser decodes RFC 2047 encoded-words in the value it is given,
    so a ticket summary that *is* an encoded-word (`=?utf-8?q?x=0D=0ABcc:...?=`, a sender's
    double-encoded subject) would turn into a CR/LF and a header of the sender's choosing.
    Ticket text is text: it is encoded on the way out, never decoded.
    """

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        kwds["parse_tree"] = None  # unused: fold() below never reads it
        kwds["decoded"] = value


class _IdListHeader(_LiteralHeader):
    """In-Reply-To and References: folded between ids, never turned into an encoded-word.

    CPython's policies RFC 2047-encode a long References header (`=?utf-8?q?=3C...`), and
    Outlook/Exchange then drop it, which breaks threading. Raising max_line_length to 998
    hides that but leaves over-long encoded-words in the Subject; folding the id lists
    ourselves keeps both right.
    """

    def fold(self, *, policy: Policy) -> str:
        return _fold(self.name, str(self).split(), policy)


class _SubjectHeader(_LiteralHeader):
    """The Subject folded at spaces when plain ASCII; otherwise correctly split encoded-words.

    The modern folder moves a long ASCII subject whole onto a continuation line (parsers
    then read a leading space), and drops the space between two encoded-words it splits
    ("Grüße über" comes back "Grüßeüber"); the legacy `Header` encoder keeps it. Text that
    looks like an encoded-word is encoded too, so a mail reader shows it as the characters
    it is rather than decoding it (the ticket's text, not header syntax).
    """

    def fold(self, *, policy: Policy) -> str:
        text = str(self)
        if text.isascii() and "=?" not in text:
            return _fold(self.name, text.split(" "), policy)
        encoded = Header(text, "utf-8", header_name=self.name).encode(linesep=policy.linesep)
        return f"{self.name}: {encoded}{policy.linesep}"


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("subject", _SubjectHeader)
_HEADERS.map_to_type("references", _IdListHeader)
_HEADERS.map_to_type("in-reply-to", _IdListHeader)
# SMTP-ready serialisation (CRLF, 78-column folding). 7bit: bodies go quoted-printable or
# base64 when not plain ASCII, so delivery does not depend on the server offering 8BITMIME.
WIRE_POLICY = policy.SMTP.clone(header_factory=_HEADERS, cte_type="7bit")
_MSGID = re.compile(r"^<[^<>\s@]{1,200}@[^<>\s@]{1,100}>$")
# C0 controls (tab too: a header value here is one line of words), DEL, C1 controls and the
# Unicode line and paragraph separators: none belongs in a header value, before or after
# any decoding step.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_PURPOSE = b"ticketflow message-id v1\x00"  # a signature made for anything else never matches
# Kept from our own earlier messages: the first and the last few (RT keeps 4 + 6).
KEEP_FIRST, KEEP_LAST = 1, 5


class HeaderInjectionError(SkippableError):
    """A value meant for a header carries a line break or is not what the header takes."""


@dataclass(frozen=True)
class Threading:
    """Where a message sits in the customer's thread."""

    in_reply_to: str | None = None
    references: tuple[str, ...] = ()


def message_id(effect_key: str, domain: str, *, key: bytes) -> str:
    """Our Message-ID for one message of an effect: a keyed HMAC of the effect, so the same
    effect composed again (a replay after a crash) keeps its identity, while nobody without
    the installation's key can work out the id of a message to a ticket (and forge a reply
    that threads onto it). 128 bits of the HMAC."""
    digest = hmac.new(key, _PURPOSE + effect_key.encode(), hashlib.sha256).hexdigest()[:32]
    return f"<tf.{digest}@{domain}>"


def ticket_root(key: str, domain: str) -> str:
    """A per-ticket pseudo Message-ID in every References: threads survive a relay that
    rewrites Message-IDs (SES does), because every message of the ticket shares it."""
    return f"<ticket.{key}@{domain}>"


def clean_msgid(value: str) -> str | None:
    """`<id@host>` as stored or received, or None when it is not a usable Message-ID."""
    text = value.strip()
    if not text.startswith("<"):
        text = f"<{text}>"
    return text if _MSGID.match(text) else None


def thread_for(key: str, domain: str, *, inbound: Sequence[str],
               outbound: Sequence[str]) -> Threading:
    """In-Reply-To the customer's original mail (else our first message); References that
    original, the ticket's root and our earlier messages (the first and the last five)."""
    original = next((m for m in map(clean_msgid, inbound) if m), None)
    ours = [m for m in map(clean_msgid, outbound) if m]
    if len(ours) > KEEP_FIRST + KEEP_LAST:
        ours = ours[:KEEP_FIRST] + ours[-KEEP_LAST:]
    chain = [m for m in (original, ticket_root(key, domain), *ours) if m]
    references = list(dict.fromkeys(chain))
    # Keep the header modest: drop from the middle (oldest of ours first) past 998 characters.
    while len("References: " + " ".join(references)) > MAX_LINE and len(references) > 2:
        del references[2]
    parent = original or (ours[0] if ours else None)
    return Threading(in_reply_to=parent, references=tuple(references))


def checked_address(value: str) -> str:
    """One plain address (`pat@example.edu`), or HeaderInjectionError: a ticket field with a
    line break, a comma or angle brackets cannot add a header or a second recipient."""
    if any(ch in value for ch in "\r\n\x00"):
        raise HeaderInjectionError(f"address {value!r} contains a line break; not sent")
    text = value.strip()
    try:
        address = Address(addr_spec=text)
    except (HeaderParseError, ValueError, IndexError) as error:
        raise HeaderInjectionError(f"{text!r} is not one email address ({error}); not sent") \
            from None
    if not address.username or not address.domain or address.addr_spec != text:
        raise HeaderInjectionError(f"{text!r} is not one plain email address; not sent")
    return text


def _header(message: EmailMessage, name: str, value: str) -> None:
    """Set one header, refusing control characters in the value as given and in the value
    as the header parser reads it back (its decoding is a step of its own), and any value
    the parser changed: what we set is exactly what goes out."""
    if _CONTROL.search(value):
        raise HeaderInjectionError(f"{name} value contains a control character; not sent")
    message[name] = value
    parsed = str(message[name])
    if _CONTROL.search(parsed) or parsed != value:
        raise HeaderInjectionError(f"{name} value {value!r} reads back as {parsed!r}; not sent")


def _verify(raw: bytes, names: list[str]) -> None:
    """The serialised header section holds exactly the headers we set, once each, in order:
    the last check that nothing folded or encoded a line into a header of its own."""
    head = BytesHeaderParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    if head.keys() != names or head.defects:
        raise HeaderInjectionError(f"composed headers {head.keys()} are not {names}; not sent")


def compose(rendered: Rendered, *, sender: str, recipient: str, message_id: str, when: datetime,
            reply_to: str | None = None, auto: str = "auto-generated",
            thread: Threading | None = None) -> bytes:
    """The complete message as bytes (CRLF line ends, ready for SMTP or an .eml file).

    `auto` is RFC 3834's Auto-Submitted value: `auto-replied` for an acknowledgement of the
    customer's mail, `auto-generated` for other notices. No `Precedence: bulk`: helpdesks on
    the other side (JSM, Zammad) would reject the mail as bulk.
    """
    message = EmailMessage(policy=WIRE_POLICY)
    _header(message, "From", checked_address(sender))
    _header(message, "To", checked_address(recipient))
    _header(message, "Reply-To", checked_address(reply_to or sender))
    _header(message, "Subject", rendered.subject)
    _header(message, "Date", format_datetime(when))
    _header(message, "Message-ID", message_id)
    _header(message, "Auto-Submitted", auto)
    _header(message, "X-Auto-Response-Suppress", "All")  # no out-of-office replies to us
    if thread is not None and thread.in_reply_to:
        _header(message, "In-Reply-To", thread.in_reply_to)
    if thread is not None and thread.references:
        _header(message, "References", " ".join(thread.references))
    message.set_content(rendered.text)
    if rendered.html is not None:
        message.add_alternative(rendered.html, subtype="html")
    raw = message.as_bytes(policy=WIRE_POLICY)
    _verify(raw, message.keys())
    return raw
