"""Fuzzing: no bytes and no message built from hostile parts make the parser or the intake
raise; every fuzzed message still ends as a ticket, a comment or a quarantine entry."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.mail.intake.classify import Signals, classify
from connector.mail.intake.parse import parse

from .harness import Harness
from .mails import CORPUS, FIXTURES

SIGNALS = Signals(frozenset({"redcap_helpdesk@example.edu"}), "example.edu")
FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])

_NAMES = ["From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To",
          "References", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
          "Auto-Submitted", "Precedence", "List-Id", "Return-Path", "MIME-Version",
          "X-Failed-Recipients", "Content-ID", "X-Auto-Response-Suppress"]
_VALUES = ["", '"', "<>", "<[abc]@microsoft.com>", "=?utf-8?q?broken=E9?=", "=?x?b?####?=",
           "text/plain; name*", "text/plain; charset=x-unknown",
           "multipart/mixed; boundary=b", 'multipart/report; report-type="delivery-status"; b=',
           "message/rfc822", "message/delivery-status", "base64", "quoted-printable",
           "x-uuencode", "attachment; filename*0*=UTF-8''%E2%80%AE;filename*1=x",
           "Mon, 32 Foo 2024 25:61 +9999", "a@b.c,", "auto-replied", "bulk",
           "pat@uni.example.edu", "Re: [HELP-1] x", "<ticket.HELP-1@example.edu>",
           "\udcff\udcfe", "=?utf-8?b?w5w=?= \u202e.exe"]
_BODIES = ["", "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", "=\r\n=XY=",
           "begin 644 a\r\n#86)C\r\n`\r\nend", "PGh0bWw+", "<html><div class=gmail_quote>",
           "--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: x\r\n\r\n--b--",
           "Final-Recipient: rfc822; a@b.c\r\nStatus: 5.1.1"]

header = st.tuples(st.sampled_from(_NAMES),
                   st.one_of(st.sampled_from(_VALUES), st.text(max_size=40)))
body = st.one_of(st.sampled_from(_BODIES), st.text(max_size=200))


def _build(headers: list[tuple[str, str]], text: str) -> bytes:
    lines = [f"{name}: {value}" for name, value in headers]
    return "\r\n".join([*lines, "", text]).encode("utf-8", "surrogateescape")


@FUZZ
@given(st.binary(max_size=3000))
def test_parse_never_raises_on_any_bytes(raw: bytes) -> None:
    """Arbitrary bytes give a ParsedMail with text and a key."""
    mail = parse(raw)
    assert isinstance(mail.text, str) and mail.key


@FUZZ
@given(st.lists(header, max_size=15), body)
def test_parse_and_classify_never_raise_on_hostile_headers(headers: list[tuple[str, str]],
                                                          text: str) -> None:
    """Messages assembled from the hazards of the checklist parse and classify."""
    mail = parse(_build(headers, text))
    assert classify(mail, SIGNALS, sent_by_us=lambda _: False).kind


_SEEDS = sorted([*FIXTURES.glob("*.eml"), *CORPUS.rglob("*.eml")])[:400]


@FUZZ
@given(st.integers(min_value=0), st.lists(st.tuples(st.integers(min_value=0),
                                                    st.integers(0, 255)), max_size=20),
       st.integers(min_value=0))
def test_parse_never_raises_on_mutated_real_mail(pick: int, flips: list[tuple[int, int]],
                                                 cut: int) -> None:
    """Real messages (fixtures and corpus) with bytes changed and the end cut off."""
    raw = bytearray(_SEEDS[pick % len(_SEEDS)].read_bytes())
    for position, value in flips:
        if raw:
            raw[position % len(raw)] = value
    data = bytes(raw[: max(1, len(raw) - cut % max(1, len(raw)))])
    assert isinstance(parse(data).text, str)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.lists(header, max_size=12), body), min_size=1, max_size=4),
       st.randoms(use_true_random=False))
def test_ingest_of_fuzzed_mail_always_ends_one_of_three_ways(
        messages: list[tuple[list[tuple[str, str]], str]], rng: random.Random) -> None:
    """Through the real intake (FakeTracker, in-memory state): no exception leaves the pass,
    nothing is deferred, and each message is a ticket, a comment or in quarantine."""
    batch = [_build(h, t) for h, t in messages]
    batch += [batch[rng.randrange(len(batch))]]  # a duplicate delivery too
    harness = Harness()
    try:
        report = harness.run(batch)
        assert report.error == "" and report.deferred == 0
        assert report.read == len(batch)
        assert (report.tickets + report.comments + report.quarantined + report.duplicates
                == len(batch))
        assert len(harness.mailbox.settled) == len(batch)
    finally:
        harness.close()
