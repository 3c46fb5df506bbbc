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


def _parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _compose(**overrides: object) -> bytes:
    arguments: dict[str, object] = {
        "sender": HELPDESK, "recipient": "pat.doe@uni.example.edu", "effect_key": "HELP-1|r|0",
        "when": WHEN, "reply_to": HELPDESK,
        "thread": thread_for("HELP-1", "example.edu", inbound=[ORIGINAL], outbound=[])}
    arguments.update(overrides)
    rendered = Rendered("[HELP-1] We received your request", "Hello\n", "<p>Hello</p>")
    return compose(rendered, **arguments)  # type: ignore[arg-type]


def test_every_header_the_checklist_asks_for() -> None:
    """Own Message-ID on our domain, In-Reply-To the customer's original, References with the
    ticket root, Reply-To the helpdesk, Auto-Submitted, no Precedence, text + HTML parts."""
    message = _parse(_compose())
    assert message["Message-ID"] == message_id("HELP-1|r|0", "example.edu")
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


def test_message_id_is_stable_per_effect() -> None:
    """The same effect composes the same Message-ID (a re-queued message keeps its identity)."""
    assert _parse(_compose())["Message-ID"] == _parse(_compose())["Message-ID"]
    assert _parse(_compose(effect_key="other"))["Message-ID"] != _parse(_compose())["Message-ID"]


def test_long_references_never_encoded_and_lines_within_limits() -> None:
    """With 60 earlier messages and a 200-character original id, References keeps the
    original, the root, our first and our last five; no encoded-word; no line over 998 (in
    fact none over 78 but the one long id)."""
    ours = [message_id(f"effect {n}", "example.edu") for n in range(60)]
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
    first = message_id("first", "example.edu")
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
                  effect_key="k", when=WHEN)
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
                recipient="a@b.edu", effect_key="k", when=WHEN)
