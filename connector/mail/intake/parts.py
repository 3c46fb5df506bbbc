"""Our own MIME part walker: bodies, attachments, report parts, with depth and count limits.

The stdlib's `get_body()` takes an inline text part with a file name for the body and
`walk()` descends into forwarded messages; here a part with a file name is an attachment even
when `inline`, a forwarded message is one `.eml` attachment, and report parts are kept aside.
"""

from __future__ import annotations

import base64
import binascii
import email
import mimetypes
import quopri
import re
import unicodedata
from dataclasses import dataclass, field
from email import policy as policies
from email.message import Message

from connector.mail.intake.charsets import decode_bytes, decode_header, fix_8bit

MAX_DEPTH = 20
MAX_PARTS = 500
MAX_NAME = 120
_BIDI = dict.fromkeys([*range(0x200E, 0x2010), *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_ALTERNATIVE = "multipart/alternative"
_SIGNATURES = {"application/pkcs7-signature", "application/x-pkcs7-signature",
               "application/pgp-signature"}
_OPAQUE_SMIME = {"application/pkcs7-mime", "application/x-pkcs7-mime"}


@dataclass(frozen=True)
class Attachment:
    """A file that came with the mail, its name already made safe."""

    filename: str
    content_type: str
    content: bytes
    content_id: str | None = None
    inline: bool = False


@dataclass
class Walk:
    """What the walk collected."""

    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    report_type: str | None = None
    delivery_status: str = ""
    original_headers: str = ""
    unparsed: bytes = b""
    top_type: str = "text/plain"
    count: int = 0
    names: set[str] = field(default_factory=set)


def walk(message: Message, found: Walk) -> None:
    """Walk the whole message into `found` (raises only what the message's policy raises)."""
    found.top_type = _content_type(message)
    if found.top_type == "multipart/report":
        found.report_type = (message.get_param("report-type") or "")  # type: ignore[assignment]
        found.report_type = str(found.report_type).lower() or None
    _part(message, found, depth=0, in_alternative=False)


def _content_type(part: Message) -> str:
    ctype = part.get_content_type().lower()
    return ctype if re.fullmatch(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+", ctype) else "text/plain"


def _part(part: Message, found: Walk, *, depth: int, in_alternative: bool) -> None:
    found.count += 1
    if found.count > MAX_PARTS:
        if found.count == MAX_PARTS + 1:
            found.notes.append(f"more than {MAX_PARTS} MIME parts: the rest were not read")
        return
    ctype = _content_type(part)
    found.defects += [type(d).__name__ for d in getattr(part, "defects", [])]
    if ctype in ("message/rfc822", "message/global"):
        _forwarded(part, found)
    elif ctype in ("message/delivery-status", "message/global-delivery-status"):
        found.delivery_status += _status_text(part)  # the parser reads it as a multipart
    elif part.is_multipart() or ctype.startswith("multipart/"):
        _multipart(part, ctype, found, depth=depth)
    elif ctype == "text/rfc822-headers":
        found.original_headers += decode_bytes(_payload(part))[0]
    elif _is_attachment(part, ctype):
        _attach(part, ctype, found)
    elif ctype == "text/html":
        if not (in_alternative and found.htmls):
            found.htmls.append(_text(part))
    elif ctype == "text/plain" or ctype.startswith("text/"):
        if not (in_alternative and found.texts):
            found.texts.append(_text(part))
    else:
        _attach(part, ctype, found)


def _multipart(part: Message, ctype: str, found: Walk, *, depth: int) -> None:
    children = part.get_payload()
    if not isinstance(children, list) or not children:
        # A multipart whose boundary never appears: keep the raw payload as text.
        found.unparsed += _payload(part)
        return
    if depth >= MAX_DEPTH:
        found.notes.append(f"MIME parts nested deeper than {MAX_DEPTH}: the rest were not read")
        return
    if ctype == "multipart/encrypted":
        found.notes.append("an encrypted (PGP/MIME) message: it cannot be read without the key; "
                           "its parts are attached")
    if ctype == _ALTERNATIVE:
        # Plain text first where both are offered; the HTML alternative is still kept.
        ordered = sorted(children, key=lambda c: _content_type(c) != "text/plain")
        for child in ordered:
            _part(child, found, depth=depth + 1, in_alternative=True)
        return
    for child in children:
        if isinstance(child, Message):
            _part(child, found, depth=depth + 1, in_alternative=False)


def _forwarded(part: Message, found: Walk) -> None:
    inner = part.get_payload()
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    if encoding in ("base64", "quoted-printable") and isinstance(inner, list) and inner:
        # Not allowed by RFC 2046, but sent (Yandex): the parser read the encoded text as the
        # message; decode it and read that instead.
        inner = [_reparse(_decode_transfer(str(inner[0]), encoding))]
    data = b""
    if isinstance(inner, list) and inner and isinstance(inner[0], Message):
        message = inner[0]
        head = "\n".join(f"{k}: {v}" for k, v in message.raw_items())
        if not found.original_headers:
            found.original_headers = head
        try:
            data = message.as_bytes()
        except Exception:  # noqa: BLE001 - a message that cannot be re-serialised
            data = head.encode("utf-8", "surrogateescape")
        # A subject is not a path: its slashes stay, as dashes.
        raw_subject = next((str(v) for k, v in message.raw_items() if k.lower() == "subject"), "")
        subject = decode_header(raw_subject).replace("/", "-")
        subject = subject.replace("\\", "-")
    else:
        data = _payload(part)
        subject = ""
    name = _unique(found, _safe_name(subject, "forwarded-message") + ".eml")
    found.attachments.append(Attachment(name, "message/rfc822", data))


def _decode_transfer(text: str, encoding: str) -> bytes:
    body = text.split("\n\n", 1)[-1] if text.lstrip().startswith(("\n", "\r\n")) else text
    data = body.encode("ascii", "surrogateescape")
    try:
        if encoding == "base64":
            return base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", data) + b"==")
        return quopri.decodestring(data)
    except (ValueError, binascii.Error):
        return data


def _reparse(data: bytes) -> Message:
    return email.message_from_bytes(data, policy=policies.compat32)


def _status_text(part: Message) -> str:
    blocks = part.get_payload()
    if isinstance(blocks, list):
        return "\n\n".join("\n".join(f"{k}: {v}" for k, v in block.raw_items())
                           for block in blocks if isinstance(block, Message)) + "\n"
    return decode_bytes(_payload(part))[0]


def _is_attachment(part: Message, ctype: str) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return (disposition == "attachment" or bool(_filename(part))
            or ctype in _SIGNATURES or ctype in _OPAQUE_SMIME or ctype == "application/ms-tnef")


def _attach(part: Message, ctype: str, found: Walk) -> None:
    data = _payload(part)
    filename = _filename(part)
    if ctype in _OPAQUE_SMIME:
        found.notes.append("an S/MIME encrypted or opaque-signed message: it cannot be read "
                           "here; the original is attached (smime.p7m)")
    if ctype == "application/ms-tnef" or (filename or "").lower() == "winmail.dat":
        found.notes.append("a winmail.dat (Outlook TNEF) part: attached as it came; open it "
                           "with a TNEF viewer to see the files inside")
    cid = part.get("content-id")
    content_id = str(cid).strip().strip("<>") if cid else None
    fallback = _derived_name(part, ctype, content_id, len(found.attachments) + 1)
    name = _unique(found, _safe_name(filename or "", fallback))
    inline = (part.get_content_disposition() or "") == "inline"
    found.attachments.append(Attachment(name, ctype, data, content_id, inline))


def _filename(part: Message) -> str | None:
    """The name from Content-Disposition or Content-Type (RFC 2231, continuations and
    RFC 2047 inside quotes), else Exchange's Content-Location."""
    name = part.get_filename()
    if name and "\ufffd" in name:
        name = _raw_name(part) or name  # raw 8-bit bytes compat32 could not decode
    if name and "=?" not in name:
        name = _unquoted_name(part, name)
    if not name:
        location = part.get("content-location")
        name = str(location).rsplit("/", 1)[-1] if location else None
    return decode_header(str(name)) if name else None


def _raw_name(part: Message) -> str | None:
    """A file name written in raw 8-bit (UTF-8, Shift_JIS ...) instead of RFC 2231/2047."""
    for key, value in part.raw_items():
        if key.lower() in ("content-disposition", "content-type"):
            match = re.search(r'\b(?:file)?name\s*=\s*"?([^";\r\n]+)', str(value), re.IGNORECASE)
            if match:
                return fix_8bit(match.group(1).strip())
    return None


def _unquoted_name(part: Message, name: str) -> str:
    """`filename=This is a test.txt` (unquoted, with spaces): the parser stops at the first
    space; the raw header has the rest."""
    for key, value in part.raw_items():
        if key.lower() in ("content-disposition", "content-type"):
            match = re.search(r"\bname\s*=\s*([^\";\r\n][^;\r\n]*)", str(value), re.IGNORECASE)
            whole = match.group(1).strip() if match else ""
            if whole.startswith(name) and len(whole) > len(name):
                return whole
    return name


def _derived_name(part: Message, ctype: str, content_id: str | None, number: int) -> str:
    extension = {"application/ms-tnef": ".dat", "application/pkcs7-mime": ".p7m",
                 "application/pkcs7-signature": ".p7s", "text/plain": ".txt"}.get(ctype)
    extension = extension or mimetypes.guess_extension(ctype) or ".bin"
    stem = {"application/ms-tnef": "winmail", "application/pkcs7-mime": "smime",
            "application/x-pkcs7-mime": "smime", "application/pkcs7-signature": "smime"}.get(ctype)
    description = part.get("content-description")
    if stem is None and description:
        stem = decode_header(str(description))
    if stem is None and content_id:
        stem = content_id.split("@", 1)[0]
    return f"{stem or f'attachment-{number}'}{extension}"


def _safe_name(name: str, fallback: str) -> str:
    """No path, no control or bidi-override characters (U+202E spoofing), bounded length."""
    text = name.replace("\\", "/").rsplit("/", 1)[-1].translate(_BIDI)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split()).strip(" .")
    if not text:
        text = fallback
    if len(text) > MAX_NAME:
        _, dot, extension = text.rpartition(".")
        keep = f".{extension}" if dot and len(extension) <= 10 else ""
        text = text[:MAX_NAME - len(keep)].rstrip(" .") + keep
    return text


def _unique(found: Walk, name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    candidate, number = name, 1
    while candidate.lower() in found.names:
        number += 1
        candidate = f"{stem}-{number}.{extension}" if extension else f"{stem}-{number}"
    found.names.add(candidate.lower())
    return candidate


def _payload(part: Message) -> bytes:
    """Decoded content bytes (base64, quoted-printable, uuencode); the raw payload when the
    transfer encoding is unknown or broken."""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken encodings: fall back to the raw text below
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("ascii", "surrogateescape")
    return b""


def _text(part: Message) -> str:
    try:
        charset = part.get_content_charset()
    except Exception:  # noqa: BLE001 - a charset parameter the policy cannot read
        charset = None
    return decode_bytes(_payload(part), charset)[0]
