"""Outgoing headers: our Message-ID, threading, Reply-To, Auto-Submitted, and no injection."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage

import pytest

from connector.mail.compose import (
    HeaderInjectionError,
    checked_address,
    compose,
    message_id,
    thread_for,
    ticket_root,
)
from connector.templates.render import Rendered

WHEN = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
HELPDESK = "redcap_helpdesk@example.edu"
ORIGINAL = "<CAF=original.1@mail.gmail.com>"
KEY = b"k" * 32
OURS = message_id("HELP-1|r|0", "example.edu", key=KEY)
# A sender's double-encoded subject: the encoded-word intake decodes once is itself an
# encoded-word whose text carries CR/LF, a Bcc header, a blank line and an HTML body.
HOSTILE = ("=?utf-8?q?Re-login=0D=0ABcc:_victim@example.org=0D=0A=0D=0A"
           "<a_href=3D\"https://evil.example/login\">Re-login_to_Jira</a>?=")


def _parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _compose(**overrides: object) -> bytes:
    arguments: dict[str, object] = {
        "sender": HELPDESK, "recipient": "pat.doe@uni.example.edu", "message_id": OURS,
        "when": WHEN, "reply_to": HELPDESK,
        "thread": thread_for("HELP-1", "example.edu", inbound=[ORIGINAL], outbound=[])}
    arguments.update(overrides)
    subject = str(arguments.pop("subject", "[HELP-1] We received your request"))
    rendered = Rendered(subject, "Hello\n", "<p>Hello</p>")
    return compose(rendered, **arguments)  # type: ignore[arg-type]


def test_every_header_the_checklist_asks_for() -> None:
    """Own Message-ID on our domain, In-Reply-To the customer's original, References with the
    ticket root, Reply-To the helpdesk, Auto-Submitted, no Precedence, text + HTML parts."""
    message = _parse(_compose())
    assert message["Message-ID"] == OURS
    assert message["Message-ID"].endswith("@example.edu>")
    assert message["In-Reply-To"] == ORIGINAL
    assert message["References"].split() == [ORIGINAL, ticket_root("HELP-1", "example.edu")]
    assert message["Reply-To"] == HELPDESK and message["From"] == HELPDESK
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert "Precedence" not in message
    assert message.get_body(("plain",)).get_content().strip() == "Hello"  # type: ignore[union-attr]
    assert message.get_body(("html",)).get_content().strip() == "<p>Hello</p>"  # type: ignore[union-attr]


def test_acknowledgements_are_auto_replied() -> None:
    """RFC 3834: an answer to the customer's mail says `auto-replied`."""
    assert _parse(_compose(auto="auto-replied"))["Auto-Submitted"] == "auto-replied"


def test_message_id_is_stable_per_effect_and_unguessable_without_the_key() -> None:
    """The same effect and key make the same Message-ID (a replayed effect keeps its
    identity); another effect, or the same effect under another installation's key, makes a
    different one, and the id carries 128 bits of the keyed HMAC, not a hash of the
    guessable effect key (ticket, rule, template, address)."""
    import hashlib

    effect = "HELP-1|acknowledge|created|0#pat@uni.example.edu"
    ours = message_id(effect, "example.edu", key=KEY)
    assert ours == message_id(effect, "example.edu", key=KEY)
    assert ours != message_id(effect + "x", "example.edu", key=KEY)
    assert ours != message_id(effect, "example.edu", key=b"another installation")
    digest = ours.removeprefix("<tf.").removesuffix("@example.edu>")
    assert len(digest) == 32 and digest not in hashlib.sha256(effect.encode()).hexdigest()


def test_long_references_never_encoded_and_lines_within_limits() -> None:
    """With 60 earlier messages and a 200-character original id, References keeps the
    original, the root, our first and our last five; no encoded-word; no line over 998 (in
    fact none over 78 but the one long id)."""
    ours = [message_id(f"effect {n}", "example.edu", key=KEY) for n in range(60)]
    original = "<" + "a" * 180 + "@mail.gmail.com>"
    thread = thread_for("HELP-1", "example.edu", inbound=[original], outbound=ours)
    assert thread.references == (original, ticket_root("HELP-1", "example.edu"), ours[0],
                                 *ours[-5:])
    raw = _compose(thread=thread)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"=?" not in head
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 998
    assert all(len(line) <= 78 for line in lines if original.encode() not in line)
    assert _parse(raw)["References"].split() == list(thread.references)


def test_threading_without_customer_mail_points_at_our_first_message() -> None:
    """A ticket opened in Jira has no inbound mail: In-Reply-To is our first message."""
    first = message_id("first", "example.edu", key=KEY)
    thread = thread_for("HELP-1", "example.edu", inbound=[], outbound=[first, "<x@y>"])
    assert thread.in_reply_to == first
    assert thread.references[0] == ticket_root("HELP-1", "example.edu")


def test_unusable_stored_ids_are_left_out() -> None:
    """An inbound id with spaces or angle brackets inside cannot reach a header."""
    thread = thread_for("HELP-1", "example.edu", inbound=["<a b@c>\r\nBcc: x@y", "plain@id"],
                        outbound=[])
    assert thread.in_reply_to == "<plain@id>"


def test_non_ascii_subject_round_trips() -> None:
    """A long non-ASCII subject is encoded-words of legal length that decode exactly."""
    subject = "[HELP-1] Grüße über den Export von Datensätzen " * 3
    raw = compose(Rendered(subject.strip(), "x\n", None), sender=HELPDESK, recipient="a@b.edu",
                  message_id=OURS, when=WHEN)
    assert _parse(raw)["Subject"] == subject.strip()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78


@pytest.mark.parametrize("address", [
    "pat@uni.example.edu\r\nBcc: victim@example.org",
    "pat@uni.example.edu\nX-Evil: 1",
    "pat@uni.example.edu, victim@example.org",
    "Pat <pat@uni.example.edu>",
    "not an address",
    "",
])
def test_header_injection_through_an_address_fails(address: str) -> None:
    """A customer address from a ticket field that carries a line break, a second address
    or a display name is refused; nothing is composed."""
    with pytest.raises(HeaderInjectionError):
        _compose(recipient=address)


def test_plain_addresses_pass() -> None:
    """An ordinary address is accepted as it is."""
    assert checked_address(" pat.doe+help@uni.example.edu ") == "pat.doe+help@uni.example.edu"


def test_a_subject_with_a_line_break_is_refused_by_compose() -> None:
    """Even if a caller hands compose a subject with CR/LF, no header is created."""
    with pytest.raises(HeaderInjectionError):
        compose(Rendered("hi\r\nBcc: victim@example.org", "x", None), sender=HELPDESK,
                recipient="a@b.edu", message_id=OURS, when=WHEN)


def test_an_encoded_word_in_ticket_text_is_never_decoded_into_headers() -> None:
    """A subject whose text is an encoded-word carrying CR/LF, a Bcc, a blank line and HTML
    goes out as one Subject header that a mail reader shows as those very characters: the
    header section is exactly the headers we set, the body is ours alone."""
    subject = f"[HELP-1] Assigned to you: {HOSTILE}"
    raw = _compose(subject=subject)
    head, _, _ = raw.partition(b"\r\n\r\n")
    names = [line.split(b":", 1)[0] for line in head.split(b"\r\n") if line[:1] not in b" \t"]
    assert names == [b"From", b"To", b"Reply-To", b"Subject", b"Date", b"Message-ID",
                     b"Auto-Submitted", b"X-Auto-Response-Suppress", b"In-Reply-To",
                     b"References", b"MIME-Version", b"Content-Type"]
    message = _parse(raw)
    assert message["Subject"] == subject  # read once by a mail reader: the literal text
    assert "Bcc" not in message and b"evil.example" not in raw.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize("subject", ["tab\there", "escape \x1b[31m", "bell \x07", "nel \x85",
                                     "line \u2028 separator", "delete \x7f"])
def test_control_characters_in_a_subject_are_refused(subject: str) -> None:
    """Not only CR/LF: any control character in a header value stops the message."""
    with pytest.raises(HeaderInjectionError, match="control character"):
        _compose(subject=subject)


def test_any_header_is_checked_after_the_parser_decodes_it() -> None:
    """Defence in depth for headers read by CPython's own parsers (here Auto-Submitted): a
    value the parser would decode into a line break, or change at all, is refused."""
    with pytest.raises(HeaderInjectionError, match="reads back as"):
        _compose(auto="=?utf-8?q?auto-generated=0D=0AX-Evil:_1?=")
