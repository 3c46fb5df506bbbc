"""Which tickets a mail names: stored Message-IDs first, then a reference in the subject.

The order is osTicket's: In-Reply-To, then References from the newest back, against every
Message-ID we sent or received; then our per-ticket root id in References, then a ticket
reference in the subject, as the tracker writes it (`[HELP-12]` on Jira). Whatever the way,
only the ticket's customer, participants or staff may join it (`authorised`): a reference is
guessable, and In-Reply-To is the sender's to write, so a stranger's `[HELP-12]` or forged
reference opens a new ticket instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from connector.mail.intake.parse import ParsedMail
from connector.tracker.base import TicketRefs

How = Literal["In-Reply-To", "References", "ticket root", "subject"]

# Reply and forward prefixes in the languages helpdesks meet (Outlook localises them), with
# Re[2]: / Re(2): counters, and Réf. : with its space before the colon.
_REPLY_WORDS = ("re", "aw", "sv", "vs", "r", "antw", "antwort", "réf", "ref", "rif", "odp",
                "ynt", "vá", "atb", "svar", "ris", "res", "回复", "回覆", "答复", "답장")
_FORWARD_WORDS = ("fw", "fwd", "wg", "tr", "enc", "rv", "vb", "vl", "doorst", "i", "pd", "trs",
                  "wd", "转发", "轉寄", "転送", "전달")
_WORDS = "|".join(sorted(map(re.escape, _REPLY_WORDS + _FORWARD_WORDS), key=len, reverse=True))
_PREFIX = re.compile(rf"^\s*({_WORDS})\.?\s*(\[\d+\]|\(\d+\))?\s*[:\uff1a]\s*", re.IGNORECASE)
# Gateway tags Exchange and filters add, before or between the prefixes.
_TAG = re.compile(r"^\s*(\[(external|extern|externe|ext|spam|suspected spam|caution|warning|"
                  r"possible spam|phish alert)\]|\*{2,3}\s*spam\s*\*{2,3}|"
                  r"(external|ext|caution)\s*:)\s*", re.IGNORECASE)


def strip_prefixes(subject: str) -> tuple[str, list[str]]:
    """The subject without leading reply/forward prefixes and gateway tags, and the prefix
    words removed (lower-case), outermost first."""
    text, words = subject, list[str]()
    while True:
        tag = _TAG.match(text)
        if tag:
            text = text[tag.end():]
            continue
        prefix = _PREFIX.match(text)
        if not prefix:
            return text.strip(), words
        words.append(prefix.group(1).lower())
        text = text[prefix.end():]


def clean_subject(subject: str) -> str:
    """A ticket summary from a subject: prefixes, tags and line breaks gone."""
    return " ".join(strip_prefixes(subject)[0].split())


def is_forward(subject: str) -> bool:
    """`Fwd:`, `WG:`, `TR:` ... as the outermost prefix: someone passing a mail on."""
    words = strip_prefixes(subject)[1]
    return bool(words) and words[0] in _FORWARD_WORDS


def id_variants(ids: Sequence[str]) -> list[str]:
    """Each id as given, then with its domain lower-cased (some relays change the case)."""
    out: list[str] = []
    for mid in ids:
        local, at, domain = mid.rpartition("@")
        out += [mid, f"{local}{at}{domain.lower()}"] if at else [mid]
    return list(dict.fromkeys(out))


def root_keys(ids: Sequence[str], *, refs: TicketRefs, domain: str) -> list[str]:
    """Keys from our per-ticket root pseudo-ids (`<ticket.HELP-12@domain>`) among `ids`: only
    on our domain, and only what the tracker takes for one of its keys."""
    pattern = re.compile(rf"<ticket\.([^@<>\s]+)@{re.escape(domain)}>", re.IGNORECASE)
    found = [refs.parse(m.group(1)) for i in ids if (m := pattern.fullmatch(i))]
    return list(dict.fromkeys(key for key in found if key is not None))


@dataclass(frozen=True)
class Match:
    """A ticket the mail points at, and how it does."""

    key: str
    how: How


def find(mail: ParsedMail, *, refs: TicketRefs, domain: str,
         known: Callable[[Sequence[str]], str | None]) -> list[Match]:
    """Candidate tickets in the order they should be tried: stored ids (In-Reply-To, then
    References newest first), then our root ids, then the tracker's references in the
    subject (leftmost first). `known` is `StateStore.issue_for_message_ids`."""
    found: list[Match] = []
    replied = known(id_variants(mail.in_reply_to)) if mail.in_reply_to else None
    if replied:
        found.append(Match(replied, "In-Reply-To"))
    referenced = known(id_variants(list(reversed(mail.references)))) if mail.references else None
    if referenced:
        found.append(Match(referenced, "References"))
    ids = [*mail.in_reply_to, *mail.references]
    found += [Match(k, "ticket root") for k in root_keys(ids, refs=refs, domain=domain)]
    found += [Match(k, "subject") for k in refs.in_subject(mail.subject)]
    unique: dict[str, Match] = {}
    for match in found:
        unique.setdefault(match.key, match)
    return list(unique.values())


def authorised(sender: str | None, *, customer: str | None, participants: set[str],
               staff: set[str]) -> bool:
    """May this sender add to the ticket (by any reference: all of them can be forged)?"""
    if not sender:
        return False
    address = sender.lower()
    return address == (customer or "").lower() or address in participants or address in staff
