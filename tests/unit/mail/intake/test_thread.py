"""Threading: subjects cleaned in any language, our keys found, stored ids matched first."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from connector.mail.intake.parse import parse
from connector.mail.intake.thread import (
    authorised,
    clean_subject,
    find,
    id_variants,
    is_forward,
    root_keys,
)
from connector.tracker.refs import ProjectKeyRefs

REFS = ProjectKeyRefs("HELP", url=lambda key: key)


@pytest.mark.parametrize(("subject", "clean"), [
    ("Re: Export fails", "Export fails"),
    ("AW: WG: Export fails", "Export fails"),
    ("SV: VS: Export fails", "Export fails"),
    ("Re: R: R: Re: Export fails", "Export fails"),
    ("TR: Antw: Export fails", "Export fails"),
    ("Réf. : Export fails", "Export fails"),
    ("回复: Export fails", "Export fails"),
    ("回复\uff1aExport fails", "Export fails"),
    ("Re[2]: Export fails", "Export fails"),
    ("RE(3): Export fails", "Export fails"),
    ("[EXTERNAL] RE: Export fails", "Export fails"),
    ("RE: [EXTERNAL] Re: Export fails", "Export fails"),
    ("*** SPAM *** Export fails", "Export fails"),
    ("Caution: Fwd: Export fails", "Export fails"),
    ("Export\r\n fails", "Export fails"),
    ("Regarding the export", "Regarding the export"),
])
def test_prefixes_and_gateway_tags_are_stripped(subject: str, clean: str) -> None:
    """Localised reply/forward prefixes (nested, counted) and Exchange tags go."""
    assert clean_subject(subject) == clean


def test_forwards_are_told_from_replies() -> None:
    """The outermost prefix decides: Fwd/FW/WG/TR/RV forward; Re/AW/SV reply."""
    assert is_forward("Fwd: [HELP-3] Export fails")
    assert is_forward("WG: AW: [HELP-3] Export fails")
    assert is_forward("[EXTERNAL] FW: [HELP-3]")
    assert not is_forward("AW: WG: [HELP-3] Export fails")
    assert not is_forward("[HELP-3] Export fails")


def test_only_our_project_keys_count_leftmost_first() -> None:
    """`[JIRA] (ABC-1)` and `INC0001` are foreign; keys may sit anywhere, even glued on."""
    assert REFS.in_subject("RE: [HELP-12] and [HELP-7]") == ["HELP-12", "HELP-7"]
    assert REFS.in_subject("[JIRA] (ABC-1) INC0001 about help-0012") == ["HELP-12"]
    assert REFS.in_subject("Subj[HELP-5]Extra") == ["HELP-5"]
    assert REFS.in_subject("WHELP-5 and HELP-55x") == []


def test_message_id_variants_and_our_root_ids() -> None:
    """Ids are tried as given and with a lower-cased domain; root pseudo-ids on our domain
    name a key, when the tracker takes it for one of its own."""
    assert id_variants(["<a.B@Mail.Example.EDU>"]) == ["<a.B@Mail.Example.EDU>",
                                                       "<a.B@mail.example.edu>"]
    ids = ["<x@y>", "<ticket.HELP-4@example.edu>", "<ticket.HELP-9@elsewhere.org>",
           "<ticket.OPS-2@example.edu>"]
    assert root_keys(ids, refs=REFS, domain="example.edu") == ["HELP-4"]


def _known(table: dict[str, str]) -> object:
    def lookup(ids: Sequence[str]) -> str | None:
        return next((table[i] for i in ids if i in table), None)
    return lookup


def test_in_reply_to_wins_then_references_newest_first_then_subject() -> None:
    """The order of candidates: stored ids (In-Reply-To, then References), then keys."""
    raw = (b"From: c@uni.example\r\nSubject: Re: [HELP-9] hi\r\nIn-Reply-To: <b@x>\r\n"
           b"References: <a@x> <r1@x>\r\n <ticket.HELP-8@example.edu>\r\n\r\nbody")
    mail = parse(raw)
    found = find(mail, refs=REFS, domain="example.edu",
                 known=_known({"<b@x>": "HELP-1", "<r1@x>": "HELP-2", "<a@x>": "HELP-3"}))
    assert [(m.key, m.how) for m in found] == [
        ("HELP-1", "In-Reply-To"), ("HELP-2", "References"),
        ("HELP-8", "ticket root"), ("HELP-9", "subject")]


def test_only_customers_participants_and_staff_may_use_a_key() -> None:
    """Any reference can be forged: a stranger's `[HELP-12]` or In-Reply-To is refused."""
    rules = {"customer": "pat@uni.example", "participants": {"cc@uni.example"},
             "staff": {"alice@example.edu"}}
    assert authorised("Pat@Uni.Example", **rules)  # type: ignore[arg-type]
    assert authorised("cc@uni.example", **rules)  # type: ignore[arg-type]
    assert authorised("alice@example.edu", **rules)  # type: ignore[arg-type]
    assert not authorised("mallory@evil.example", **rules)  # type: ignore[arg-type]
    assert not authorised(None, **rules)  # type: ignore[arg-type]
