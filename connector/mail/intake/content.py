"""What a mail puts into the tracker: summary, description and comment text, and its files.

Text goes to the tracker as plain text; the adapter escapes it (ADF nodes on Cloud, wiki
markup escaped on Data Center), so mail cannot inject mentions, links or macros.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from connector.mail.intake.base import RawMail
from connector.mail.intake.classify import Bounce, Classification
from connector.mail.intake.parse import ParsedMail, Person
from connector.mail.intake.parts import Attachment
from connector.mail.intake.text import split_reply, tidy
from connector.mail.intake.thread import clean_subject

MAX_BODY = 30_000  # Jira's description and comment limit is 32,767 characters
MAX_SUMMARY = 250  # Jira's summary limit is 255
ORIGINAL = "original-message"


@dataclass(frozen=True)
class Content:
    """The readable part of a mail and what to upload with it."""

    text: str
    uploads: tuple[Attachment, ...]
    oversized: tuple[Attachment, ...]
    notes: tuple[str, ...]


def size(count: int) -> str:
    """`999 bytes`, `10.0 MB`: decimal units, as mappings.yaml's "10 MB" means."""
    if count < 1000:
        return f"{count} bytes"
    value, unit = count / 1000, "KB"
    for bigger in ("MB", "GB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{value:.1f} {unit}"


def content(mail: ParsedMail, raw: RawMail, *, max_attachment: int, max_message: int,
            reply: bool = False) -> Content:
    """Trimmed text, files within the size limit, and the notes an agent needs. The whole
    original is attached whenever the text shown is not all of it (HTML converted, a lenient
    parse, a cut, and for a new ticket trimmed history) so nothing is lost. A `reply`'s
    trimmed history is not attached: it quotes what is already on the ticket, and attaching
    it would cost a request for most replies."""
    trimmed = split_reply(tidy(mail.text))
    text = trimmed.text or "(no text)"
    notes = list(mail.notes)
    cut = len(text) > MAX_BODY
    if cut:
        text = text[:MAX_BODY] + "\n[... cut here: the whole message is attached]"
    if raw.too_large:
        notes.append(f"the message is {size(raw.size)}, over the {size(max_message)} limit: "
                     "only its header was read; it is kept in the mailbox's Processed folder")
    files = list(mail.attachments)
    keep_original = ((trimmed.trimmed and not reply) or mail.from_html or cut
                     or mail.parser != "compat32" or bool(mail.notes)) and not raw.too_large
    if keep_original:
        if len(raw.data) <= max_attachment:
            files.append(Attachment(f"{ORIGINAL}.eml", "message/rfc822", raw.data))
        else:
            full = tidy(mail.text).encode("utf-8")[:max_attachment]
            files.append(Attachment(f"{ORIGINAL}.txt", "text/plain", full))
    uploads = tuple(f for f in files if len(f.content) <= max_attachment)
    oversized = tuple(f for f in files if len(f.content) > max_attachment)
    return Content(text, uploads, oversized, tuple(dict.fromkeys(notes)))


def summary(mail: ParsedMail, sender: Person | None) -> str:
    """The cleaned subject, or a stand-in naming the sender when there is none."""
    text = clean_subject(mail.subject)
    if not text:
        text = f"(no subject) from {sender.address if sender else 'an unknown sender'}"
    return text if len(text) <= MAX_SUMMARY else text[:MAX_SUMMARY - 3].rstrip() + "..."


def named(person: Person) -> str:
    """`Name <address>` on one line: a decoded display name may hold line breaks or other
    control characters (an encoded word can carry any), which would break the header line
    the comment's marker closes."""
    return " ".join("".join(" " if ch.isspace() or not ch.isprintable() else ch
                            for ch in str(person)).split())


def header_line(sender: Person | None, classification: Classification) -> str:
    who = named(sender) if sender else "an unknown sender (no From address)"
    if classification.automatic:
        return (f"From: {who} (by email; automatic mail: {classification.reason}; "
                "no acknowledgement is sent)")
    return f"From: {who} (by email)"


def _notes(body: str, content: Content) -> str:
    lines = [f"Note: {n}" for n in content.notes]
    return body + ("\n\n" + "\n".join(lines) if lines else "")


def description(mail: ParsedMail, sender: Person | None, classification: Classification,
                body: Content, *, follows: str | None = None, unverified: str = "") -> str:
    copied = [named(p) for p in mail.cc]
    lines = [header_line(sender, classification)]
    if unverified:
        who = sender.address if sender else "its sender"
        lines.append(f"Warning: the helpdesk's mail server could not verify that this mail "
                     f"comes from {who} ({unverified}); it may be forged, so it was added to "
                     "no existing ticket.")
    if copied:
        lines.append(f"Cc: {', '.join(copied)}")
    if follows:
        lines.append(f"Follow-up to {follows} (completed; its reopen window had passed)")
    return _notes("\n".join(lines) + "\n\n" + body.text, body)


def comment_body(sender: Person | None, classification: Classification, body: Content) -> str:
    text = header_line(sender, classification) + "\n\n" + body.text
    return _notes(text, body)


def automatic_reply_body(mail: ParsedMail, sender: Person | None,
                         classification: Classification, body: Content) -> str:
    """An out-of-office or other automatic reply, as an internal note (it reopens nothing)."""
    who = named(sender) if sender else "an unknown sender"
    text = body.text if len(body.text) <= 2000 else body.text[:2000] + " [...]"
    return (f"Automatic reply from {who} ({classification.reason}); not a customer reply, "
            f"so the ticket's status is unchanged.\nSubject: {mail.subject}\n\n{text}")


def bounce_body(bounce: Bounce, *, paused_until: datetime | None) -> str:
    who = ", ".join(bounce.recipients) or "an unknown recipient"
    kind = "permanent" if bounce.permanent else "temporary"
    lines = [f"Mail to {who} could not be delivered ({kind} failure"
             + (f", status {bounce.status}" if bounce.status else "") + ")."]
    if bounce.diagnostic:
        lines.append(f"The receiving server said: {bounce.diagnostic}")
    if paused_until is not None:
        lines.append(f"No automatic mail goes to {who} until "
                     f"{paused_until.date().isoformat()}; check the address with the customer.")
    return "\n".join(lines)


def oversized_note(files: tuple[Attachment, ...], limit: int) -> str:
    names = ", ".join(f"{f.filename} ({size(len(f.content))})" for f in files)
    return (f"Attachments over the {size(limit)} limit were not uploaded: {names}. "
            "They are in the original mail in the helpdesk mailbox.")
