"""What kind of mail this is, before anything else: ours, a bounce, an auto-reply, automatic,
bulk, or ordinary mail from a person (the signals of the checklist's table, RFC 3834 first).

`Auto-Submitted` follows RT: any value but `no` is automatic (`auto-replied` and `vacation`
are replies; `auto-generated`, `auto-notified` and the rest are automatic mail).
`X-Auto-Response-Suppress` alone is a request not to auto-reply, not proof of automatic mail
(sisimai dropped it for that reason); only with Exchange's rules-loop header is it an
out-of-office reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from connector.mail.intake.parse import ParsedMail, message_ids, people

Kind = Literal["own", "bounce", "auto_reply", "auto_generated", "bulk", "ordinary"]

# Zammad's send_no_auto_response_reg_exp, plus list plumbing (owner-*, *-request, *-bounces).
NO_REPLY = re.compile(
    r"^(mailer-daemon|postmaster|abuse|root|no[-_.]?reply|do[-_.]?not[-_.]?reply|"
    r"bounces?|owner-[^@]*|[^@]*-(request|bounces?|owner))(\+[^@]*)?@", re.IGNORECASE)
_DAEMON = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|undelivered mail|returned mail|delivery (status notification|failure|"
    r"has failed|failed)|mail delivery (failed|system|subsystem)|failure notice|"
    r"non[- ]?delivery|unzustellbar|nicht zustellbar|non remis|non recapitabile|"
    r"could not be delivered|delivery problem|rejected:|message not delivered)",
    re.IGNORECASE)
_AUTO_REPLY_SUBJECT = re.compile(
    r"^(automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|out of (the )?office|"
    r"abwesenheitsnotiz|automatische antwort|réponse automatique|respuesta automática|"
    r"risposta automatica|autosvar|automatisch antwoord|odpowiedź automatyczna|"
    r"automaattinen vastaus|自动回复)\b", re.IGNORECASE)
_AUTO_REPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponse", "x-autoreply-from",
                       "x-mail-autoreply")
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True)
class Classification:
    """The class and the signal that decided it (for logs, comments and the quarantine)."""

    kind: Kind
    reason: str

    @property
    def automatic(self) -> bool:
        """Never acknowledged and never answered automatically (RFC 3834)."""
        return self.kind != "ordinary"


@dataclass(frozen=True)
class Bounce:
    """What a delivery report says: who failed, how, and which of our messages it returns."""

    recipients: tuple[str, ...]
    status: str | None
    action: str | None
    diagnostic: str
    original_ids: tuple[str, ...]

    @property
    def permanent(self) -> bool:
        if self.status:
            return self.status.startswith("5")
        return (self.action or "").lower() == "failed"


@dataclass(frozen=True)
class Signals:
    """What classification knows about us: our addresses, our Message-ID domain, and the
    domains whose mail is never treated as bulk or automatic (an admin's escape hatch)."""

    own_addresses: frozenset[str]
    own_domain: str
    trusted_domains: frozenset[str] = frozenset()


def _value(mail: ParsedMail, name: str) -> str:
    return (mail.header(name) or "").strip().lower()


def classify(mail: ParsedMail, signals: Signals, *,
             sent_by_us: Callable[[Sequence[str]], bool]) -> Classification:
    """The first class whose signal is present, in the order own, bounce, auto-reply,
    automatic, bulk; otherwise ordinary."""
    for check in (_own, _bounce, _auto_reply):
        found = check(mail, signals, sent_by_us)
        if found is not None:
            return found
    if not _trusted(mail, signals):
        for check in (_auto_generated, _bulk):
            found = check(mail, signals, sent_by_us)
            if found is not None:
                return found
    return Classification("ordinary", "a person's mail")


def _own(mail: ParsedMail, signals: Signals,
         sent_by_us: Callable[[Sequence[str]], bool]) -> Classification | None:
    mid = mail.message_id or ""
    # Ours by shape: compose's keyed HMAC (32 hex digits; 24 before it was keyed).
    ours = re.fullmatch(rf"<tf\.[0-9a-f]{{24,64}}@{re.escape(signals.own_domain)}>", mid,
                        re.IGNORECASE)
    if ours or (mid and sent_by_us([mid])):
        return Classification("own", f"our own Message-ID {mid}")
    if mail.sender and mail.sender.address in signals.own_addresses:
        return Classification("own", f"sent from our own address {mail.sender.address}")
    return None


def _bounce(mail: ParsedMail, signals: Signals,
            sent_by_us: Callable[[Sequence[str]], bool]) -> Classification | None:
    del signals, sent_by_us
    if mail.report_type == "delivery-status" or mail.delivery_status:
        return Classification("bounce", "delivery status report (RFC 3464)")
    if mail.header("x-failed-recipients"):
        return Classification("bounce", "X-Failed-Recipients")
    daemon = bool(mail.sender and _DAEMON.match(mail.sender.address)) or bool(
        re.search(r"mailer-daemon|postmaster", mail.header("from") or "", re.IGNORECASE))
    null_path = mail.header("return-path") is not None and _value(mail, "return-path") in ("<>", "")
    returned = bool(mail.original_headers) or any(
        a.content_type == "message/rfc822" for a in mail.attachments)
    if _BOUNCE_SUBJECT.search(mail.subject) and (daemon or null_path or returned):
        return Classification("bounce", f"delivery failure notice ({mail.subject[:60]})")
    return None


def _auto_reply(mail: ParsedMail, signals: Signals,
                sent_by_us: Callable[[Sequence[str]], bool]) -> Classification | None:
    del signals, sent_by_us
    submitted = _value(mail, "auto-submitted").split(";")[0].strip()
    if submitted.startswith(("auto-replied", "vacation")):
        return Classification("auto_reply", f"Auto-Submitted: {submitted}")
    if mail.report_type == "disposition-notification":
        return Classification("auto_reply", "read receipt (disposition notification)")
    for name in _AUTO_REPLY_HEADERS:
        if mail.header(name) is not None and _value(mail, name) not in ("no", "false"):
            return Classification("auto_reply", f"{name} header")
    if _value(mail, "x-autogenerated") == "reply":
        return Classification("auto_reply", "X-Autogenerated: Reply")
    if "auto_reply" in (_value(mail, "precedence"), _value(mail, "x-precedence")):
        return Classification("auto_reply", "Precedence: auto_reply")
    if mail.header("x-auto-response-suppress") and mail.header("x-ms-exchange-inbox-rules-loop"):
        return Classification("auto_reply", "Exchange out-of-office (inbox rules loop)")
    if _AUTO_REPLY_SUBJECT.match(mail.subject):
        return Classification("auto_reply", f"out-of-office subject ({mail.subject[:40]})")
    return None


def _auto_generated(mail: ParsedMail, signals: Signals,
                    sent_by_us: Callable[[Sequence[str]], bool]) -> Classification | None:
    del signals, sent_by_us
    submitted = _value(mail, "auto-submitted").split(";")[0].strip()
    if submitted and submitted != "no":
        return Classification("auto_generated", f"Auto-Submitted: {submitted}")
    if mail.report_type:
        return Classification("auto_generated", f"report ({mail.report_type})")
    if _value(mail, "x-fc-machinegenerated") == "true":
        return Classification("auto_generated", "X-FC-Machinegenerated")
    if _value(mail, "x-amazon-mail-relay-type") == "notification":
        return Classification("auto_generated", "X-AMAZON-MAIL-RELAY-TYPE: NOTIFICATION")
    if mail.header("x-loop") is not None:
        return Classification("auto_generated", "X-Loop")
    if mail.header("return-path") is not None and _value(mail, "return-path") in ("<>", ""):
        return Classification("auto_generated", "null return path (Return-Path: <>)")
    person = mail.reply_to is not None and not NO_REPLY.match(mail.reply_to.address)
    if mail.sender and NO_REPLY.match(mail.sender.address) and not person:
        # A web form sends from no-reply with the person in Reply-To: that is a person's mail.
        return Classification("auto_generated", f"no-reply sender {mail.sender.address}")
    return None


def _bulk(mail: ParsedMail, signals: Signals,
          sent_by_us: Callable[[Sequence[str]], bool]) -> Classification | None:
    del signals, sent_by_us
    for name in ("precedence", "x-precedence"):
        if _value(mail, name) in ("bulk", "list", "junk"):
            return Classification("bulk", f"{name.title()}: {_value(mail, name)}")
    if mail.header("list-id") is not None:
        return Classification("bulk", "List-Id")
    if len(_value(mail, "list-unsubscribe")) >= 3:
        return Classification("bulk", "List-Unsubscribe")
    return None


def _trusted(mail: ParsedMail, signals: Signals) -> bool:
    if mail.sender is None or not signals.trusted_domains:
        return False
    domain = mail.sender.address.rpartition("@")[2]
    return any(domain == d or domain.endswith("." + d) for d in signals.trusted_domains)


def bounce_details(mail: ParsedMail) -> Bounce:
    """Recipients, status and the returned message's id from a DSN, or from the text of a
    non-standard bounce (qmail, old Exchange) as far as it says."""
    fields: dict[str, list[str]] = {}
    for line in mail.delivery_status.splitlines():
        name, colon, value = line.partition(":")
        if colon:
            fields.setdefault(name.strip().lower(), []).append(value.strip())
    named = fields.get("final-recipient", []) or fields.get("original-recipient", [])
    recipients = [v.split(";", 1)[-1].strip().strip("<>").lower() for v in named]
    recipients += [a.strip().strip("<>").lower() for v in mail.header_all("x-failed-recipients")
                   for a in v.split(",")]
    if not recipients:
        # A bounce without a DSN part: the returned message's To (ours name one recipient).
        recipients = [p.address for p in people([_header_in(mail.original_headers, "to") or ""])]
    status = next((v.split()[0] for v in fields.get("status", []) if v), None)
    if status is None:
        found = _STATUS.search(" ".join(fields.get("diagnostic-code", [])) + " " + mail.text)
        status = found.group(0) if found else None
    original = message_ids(_header_in(mail.original_headers, "message-id"))
    if not original:
        match = re.search(r"^\s*message-id:\s*(<[^<>\s]+>)", mail.text, re.IGNORECASE | re.M)
        original = (match.group(1),) if match else ()
    return Bounce(
        recipients=tuple(dict.fromkeys(r for r in recipients if "@" in r)), status=status,
        action=next(iter(fields.get("action", [])), None),
        diagnostic=" ".join(fields.get("diagnostic-code", []))[:300],
        original_ids=tuple(dict.fromkeys((*original, *mail.in_reply_to,
                                          *reversed(mail.references)))))


def _header_in(block: str, name: str) -> str | None:
    """One header's value from a block of header lines (unfolded)."""
    unfolded = re.sub(r"\r?\n[ \t]+", " ", block)
    for line in unfolded.splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip().lower() == name:
            return value.strip()
    return None
