"""Every message of the shared corpus (../shared/corpus/mail) ends as a ticket, a comment or
a quarantine entry with a reason: one test per file, through the real intake."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from connector.mail.intake.classify import Signals, classify
from connector.mail.intake.parse import parse

from .harness import Harness
from .mails import CORPUS

FILES = sorted(CORPUS.rglob("*.eml")) if CORPUS.is_dir() else []
ABSENT = f"the shared mail corpus is not at {CORPUS} (it lies in ../shared beside the clone)"


@pytest.mark.skipif(not FILES, reason=ABSENT)
@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(CORPUS)) for p in FILES])
def test_corpus_message_has_exactly_one_outcome(path: Path) -> None:
    """Read through the intake, the message ends one way, is settled once, and a quarantine
    says why; a ticket has a summary and the sender first in its description."""
    harness = Harness()
    try:
        report = harness.run([path.read_bytes()])
        assert report.error == ""
        assert (report.read, report.deferred) == (1, 0)
        assert report.tickets + report.comments + report.quarantined == 1
        (settled,) = harness.mailbox.settled
        if report.quarantined:
            assert settled[1] == "quarantine"
            (entry,) = harness.store.db.execute(
                "SELECT reason FROM mail_intake WHERE outcome = 'quarantine'").fetchall()
            assert entry[0]
        else:
            assert settled[1] == "processed"
        for number in range(1, report.tickets + 1):
            ticket = harness.tracker.ticket(f"HELP-{number}")
            assert ticket.summary
            assert ticket.text.startswith("From: ")
    finally:
        harness.close()


@pytest.mark.skipif(not FILES, reason=ABSENT)
def test_bounce_corpus_is_recognised_as_automatic_mail() -> None:
    """Of sisimai's 150 delivery reports and auto-replies, at least 95% are classified as
    bounces or automatic mail (the rest are bare notices with no signal in them), and its
    three ordinary messages stay ordinary."""
    signals = Signals(frozenset({"redcap_helpdesk@example.edu"}), "example.edu")
    kinds: collections.Counter[str] = collections.Counter()
    for path in sorted((CORPUS / "sisimai-set-of-emails" / "bsd").glob("*.eml")):
        kinds[classify(parse(path.read_bytes()), signals, sent_by_us=lambda _: False).kind] += 1
    assert kinds["ordinary"] <= sum(kinds.values()) * 0.05
    not_bounces = sorted((CORPUS / "sisimai-set-of-emails" / "not").glob("is-not-*.eml"))
    assert [classify(parse(p.read_bytes()), signals, sent_by_us=lambda _: False).kind
            for p in not_bounces] == ["ordinary", "ordinary"]
