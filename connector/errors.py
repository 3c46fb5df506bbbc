"""The exception tree, split by what the caller should do.

    TicketflowError                  root: everything ticketflow raises on purpose
    ├── ConfigError                  bad rules/mappings/settings; fix the file (exit 2)
    ├── UsageError                   bad command-line use (exit 2)
    ├── RetriableError               try again later: rate limits, 5xx, dropped connections
    │   ├── MalformedAnswerError     the tracker's answer was not the JSON it should be
    │   └── NotDoneError             refused undone (429, 503) or never sent: safe to send again
    ├── FatalError                   stop the job: credentials, permissions, a missing project
    │   ├── OwnershipError           another ticketflow owns the tracker, or this one's state
    │   │                            file was deleted or replaced: stop, act no more (exit 3)
    │   └── TrackerError             the tracker refused a request; carries its errorMessages
    │       ├── AuthError            401 (or 403 on the account itself): check the credentials
    │       ├── ForbiddenError       403 on one item while the account is fine: that item fails
    │       └── NoTransitionError    the workflow has no transition to the status asked for
    ├── LeaseLostError               another replica holds the state's lease (or took it over):
    │                                this process stops acting and stands by (exit 3)
    ├── BlockedError                 this item waits for a configuration fix; kept, tried again
    └── SkippableError               this one item cannot be handled; record it and go on

The CLI maps these to exit codes in one place (`connector.cli`).
"""

from __future__ import annotations

from collections.abc import Sequence


class TicketflowError(Exception):
    """Root of every error ticketflow raises deliberately."""


class ConfigError(TicketflowError):
    """One or more configuration problems, each already formatted with its location."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class UsageError(TicketflowError):
    """The command line asked for something that cannot be done as asked."""


class RetriableError(TicketflowError):
    """A transient failure; the same call may succeed later."""


class MalformedAnswerError(RetriableError):
    """The tracker answered, but not with the JSON that endpoint returns (an HTML page with
    200 from a proxy or a maintenance page, a missing key, a list where an object belongs).
    Transient: such answers come from something in the way, and the same call usually works
    later. Never a crash, so never a reason to give up on the mail or the ticket at hand."""


class NotDoneError(RetriableError):
    """A request that failed without being done: the tracker refused it undone (429, 503) or
    it never reached the tracker. Unlike a timeout or a 500, sending it again (even a create)
    cannot make a second of anything."""


class FatalError(TicketflowError):
    """A failure that retrying will not fix; the job stops and says why."""


class OwnershipError(FatalError):
    """This ticketflow may not act: another one holds the tracker's owner claim, or the state
    file it started with was deleted or replaced under it. Acting would double tickets and
    messages; a supervisor should not simply restart it (exit code 3)."""


class TrackerError(FatalError):
    """The tracker answered with an error that is not transient."""

    def __init__(
        self, message: str, *, status: int | None = None, error_messages: Sequence[str] = ()
    ) -> None:
        self.status = status
        self.error_messages = list(error_messages)
        super().__init__(message)


class AuthError(TrackerError):
    """The tracker refused our credentials (HTTP 401, or 403 for the account itself)."""


class ForbiddenError(TrackerError):
    """HTTP 403 for one issue or operation while the account itself is accepted: the issue's
    permissions refuse us. The effect on that issue fails; the rest of the cycle goes on."""


class NoTransitionError(TrackerError):
    """No workflow transition leads from the issue's status to the one asked for."""


class LeaseLostError(TicketflowError):
    """This process does not hold the state's leader lease, or no longer: another replica
    leads. Raised by a fenced write of a former leader (paused, partitioned) after a standby
    took over, and by `once` when a running replica leads. Not retriable here: the caller
    stops acting (`run` becomes a standby); its effects in hand are the new leader's to
    finish, as after a crash."""


class BlockedError(TicketflowError):
    """An item cannot be done until the configuration is fixed (a person with no tracker
    user, a template that fails to render, a status no transition leads to): it is kept and
    tried again every cycle, so fixing the file performs it."""


class SkippableError(TicketflowError):
    """One item (an issue, a mail) cannot be handled; record it and carry on with the rest."""
