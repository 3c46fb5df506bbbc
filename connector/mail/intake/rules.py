"""What intake needs from rules.yaml and mappings.yaml, and whom a new ticket is for."""

from __future__ import annotations

from dataclasses import dataclass

from connector.config.loader import Config
from connector.mail.intake.classify import NO_REPLY, Signals
from connector.mail.intake.parse import ParsedMail


@dataclass(frozen=True)
class IntakeRules:
    """What intake needs from rules.yaml and mappings.yaml, resolved once."""

    signals: Signals
    staff: frozenset[str]
    config: Config

    @classmethod
    def from_config(cls, config: Config, *, mail_from: str) -> IntakeRules:
        box = config.mappings.mailbox
        own = frozenset(a.lower() for a in (*config.mappings.addresses, mail_from) if a)
        staff = frozenset(u.lower() for u in config.mappings.staff)
        domain = (mail_from or box.address).rpartition("@")[2].lower()
        return cls(Signals(own, domain, frozenset(box.trusted_domains)), staff, config)

    @property
    def done_statuses(self) -> frozenset[str]:
        return self.config.rules.workflow.done_statuses

    def reopen_status(self, done_status: str) -> str | None:
        """The status the workflow's transition out of this done status leads to."""
        for transition in self.config.rules.workflow.transitions:
            if transition.from_ == done_status:
                return transition.to
        return None


def customer_address(mail: ParsedMail, signals: Signals) -> str | None:
    """Who the ticket is for: From, unless From is no person (a web form sends from a
    no-reply address, naming the person in Reply-To). A Reply-To beside a person's From
    gains nothing: anyone may write any address there, and the customer may write to the
    ticket."""
    sender = mail.sender.address if mail.sender else None
    reply_to = mail.reply_to.address if mail.reply_to else None
    if sender and sender not in signals.own_addresses and not NO_REPLY.match(sender):
        return sender
    if reply_to and reply_to not in signals.own_addresses and not NO_REPLY.match(reply_to):
        return reply_to
    return sender
