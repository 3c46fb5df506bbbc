"""Total parsing: any bytes become a ParsedMail (headers, text, attachments, report parts).

`email` with `policy.compat32` first, then `policy.default`, then a plain split of headers and
body. compat32 comes first, not second: headers are decoded here from their raw values anyway
(so `policy.default`'s header objects add nothing, and cannot raise on Exchange's
`<[hex]@…>` Message-IDs or `To: "`), it reads what the modern policy crashes on (a parameter
ending in `*`, cpython #151857) or misreads (an illegal boundary), and it is four times faster.
"""

from __future__ import annotations

import email
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy as policies
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from connector.mail.intake.charsets import decode_bytes, decode_header, fix_8bit, unfold
from connector.mail.intake.parts import Attachment, Walk, walk
from connector.mail.intake.text import html_to_text

log = logging.getLogger(__name__)

_ID = re.compile(r"<([^<>\s]{1,500})>")
_BARE_ID = re.compile(r"(?<![<\w.+-])([\w.+$%!#&'*/=?^`{|}~-]{1,200}@[\w.\[\]-]{1,200})")
_ADDRESS = re.compile(r"[\w.+'=&%$!#*/?^`{|}~-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")


@dataclass(frozen=True)
class Person:
    """A mailbox from an address header: the address lower-cased, the display name decoded."""

    address: str
    name: str = ""

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>" if self.name else self.address


@dataclass(frozen=True)
class ParsedMail:
    """Everything intake uses from one message. Text is never None; lists may be empty."""

    headers: tuple[tuple[str, str], ...]  # (lower-case name, decoded value), in order
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    sender: Person | None  # the first From mailbox
    reply_to: Person | None
    to: tuple[Person, ...]
    cc: tuple[Person, ...]
    date: datetime | None
    content_type: str
    text: str
    html: str | None
    attachments: tuple[Attachment, ...]
    report_type: str | None = None
    delivery_status: str = ""  # message/delivery-status fields, as text
    original_headers: str = ""  # the returned message's headers (message/rfc822, rfc822-headers)
    notes: tuple[str, ...] = ()  # what an agent should know: TNEF, S/MIME, cut parts
    defects: tuple[str, ...] = ()
    raw_size: int = 0
    parser: str = "compat32"  # "compat32", "default" or "raw": which parse succeeded
    from_html: bool = False

    def header(self, name: str) -> str | None:
        """The first value of a header (decoded), or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k == wanted), None)

    def header_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [v for k, v in self.headers if k == wanted]

    @property
    def key(self) -> str:
        """The idempotency key: the Message-ID, or a hash of what stays the same on every
        delivery path (not Received lines), as Zammad and FreeScout synthesise one."""
        if self.message_id:
            return self.message_id
        basis = "\n".join([self.header("from") or "", self.header("date") or "", self.subject,
                           self.header("to") or "", self.text])
        return "gen:" + hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()[:40]


def parse(raw: bytes, *, received: datetime | None = None) -> ParsedMail:
    """Parse any bytes; never raises. `received` (IMAP INTERNALDATE, file time) stands in for a
    missing or unreadable Date."""
    failures: list[str] = []
    for name, policy in (("compat32", policies.compat32), ("default", policies.default)):
        try:
            message = email.message_from_bytes(raw, policy=policy)
            return _extract(message, raw, name, failures, received)
        except Exception as error:  # noqa: BLE001 - any parser failure: try the next way
            failures.append(f"{name} parser: {type(error).__name__}: {error}"[:200])
    return _raw_fallback(raw, failures, received)


def message_ids(value: str | None) -> tuple[str, ...]:
    """The `<id>` tokens of a Message-ID, In-Reply-To or References value, in order; a bare
    `id@host` (no brackets, as some clients write) is bracketed."""
    if not value:
        return ()
    text = unfold(value)
    found = [f"<{m}>" for m in _ID.findall(text)]
    if not found:
        found = [f"<{m}>" for m in _BARE_ID.findall(text)]
    return tuple(dict.fromkeys(found))


def people(values: list[str]) -> tuple[Person, ...]:
    """Mailboxes from address headers; a lenient regex where the parser gives up or errs."""
    found: list[Person] = []
    for value in values:
        text = fix_8bit(unfold(value)).replace("\x00", "")
        try:
            pairs = getaddresses([text])
        except Exception:  # noqa: BLE001 - crafted addresses break getaddresses; regex below
            pairs = []
        good = [(n, a) for n, a in pairs if _ADDRESS.fullmatch(a or "")]
        if not good:
            good = [("", a) for a in _ADDRESS.findall(text)]
        found += [Person(a.lower(), decode_header(n).strip().strip('"')) for n, a in good]
    return tuple(dict.fromkeys(found))


def _date(value: str | None, received: datetime | None) -> datetime | None:
    if not value:
        return received
    try:
        parsed = parsedate_to_datetime(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        parsed.astimezone(UTC)  # an offset past a day raises here, not later
    except Exception:  # noqa: BLE001 - unparsable dates fall back to the arrival time
        return received
    return parsed


def _raw_headers(message: Message) -> tuple[tuple[str, str], ...]:
    return tuple((str(k).lower(), str(v)) for k, v in message.raw_items())


def _extract(message: Message, raw: bytes, parser: str, failures: list[str],
             received: datetime | None) -> ParsedMail:
    headers = _raw_headers(message)
    found = Walk()
    walk(message, found)
    text = "\n\n".join(t for t in found.texts if t.strip())
    html = "\n".join(found.htmls) if found.htmls else None
    from_html = False
    if not text.strip() and html:
        text, from_html = html_to_text(html), True
    if not text.strip() and found.unparsed:
        # A broken multipart (wrong boundary): its raw payload is the best text there is.
        text = decode_bytes(found.unparsed)[0]
    defects = [f"{type(d).__name__}" for d in getattr(message, "defects", [])] + found.defects
    return _assemble(headers, text=text, html=html, walk=found, raw=raw, parser=parser,
                     failures=failures, defects=defects, received=received, from_html=from_html,
                     content_type=found.top_type)


def _assemble(raw_headers: tuple[tuple[str, str], ...], *, text: str, html: str | None,
              walk: Walk, raw: bytes, parser: str, failures: list[str], defects: list[str],
              received: datetime | None, from_html: bool, content_type: str) -> ParsedMail:
    """`raw_headers` as found (undecoded): addresses are split before names are decoded, so
    an encoded comma in a display name cannot split one mailbox in two."""
    headers = tuple((k, decode_header(v)) for k, v in raw_headers)

    def first(name: str) -> str | None:
        return next((v for k, v in headers if k == name), None)

    def every(name: str, source: tuple[tuple[str, str], ...] = headers) -> list[str]:
        return [v for k, v in source if k == name]

    ids = message_ids(first("message-id"))
    senders = people(every("from", raw_headers))
    reply_to = people(every("reply-to", raw_headers))
    return ParsedMail(
        headers=headers, message_id=ids[0] if ids else None,
        in_reply_to=message_ids(" ".join(every("in-reply-to"))),
        references=message_ids(" ".join(every("references"))),
        subject=" ".join((first("subject") or "").split()),
        sender=senders[0] if senders else None, reply_to=reply_to[0] if reply_to else None,
        to=people(every("to", raw_headers)), cc=people(every("cc", raw_headers)),
        date=_date(first("date"), received),
        content_type=content_type, text=text.replace("\x00", ""), html=html,
        attachments=tuple(walk.attachments), report_type=walk.report_type,
        delivery_status=walk.delivery_status, original_headers=walk.original_headers,
        notes=tuple(walk.notes) + tuple(f"parsed leniently ({f})" for f in failures[:1]),
        defects=tuple(dict.fromkeys(defects)), raw_size=len(raw), parser=parser,
        from_html=from_html)


def _raw_fallback(raw: bytes, failures: list[str], received: datetime | None) -> ParsedMail:
    """Headers split by hand and the rest as text: for bytes no parser can read."""
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    headers: list[tuple[str, str]] = []
    for line in re.split(rb"\n(?![ \t])", head):
        name, colon, value = line.partition(b":")
        if colon and re.fullmatch(rb"[!-9;-~]{1,100}", name):
            text = fix_8bit(value.decode("ascii", "surrogateescape")).strip()
            headers.append((name.decode("ascii").lower(), text))
    log.warning("mail parsed only by splitting its header: %s", "; ".join(failures))
    return _assemble(tuple(headers), text=decode_bytes(body)[0], html=None, walk=Walk(),
                     raw=raw, parser="raw", failures=failures, defects=[], received=received,
                     from_html=False, content_type="text/plain")
