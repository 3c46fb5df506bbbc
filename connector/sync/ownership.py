"""Only one processor: the owner claim in the tracker, and the state file a service started with.

Two ticketflows with different state files against one tracker and mailbox would each make a
ticket of every mail and send every message. The first to act records a claim in the tracker
(Jira: a project property) naming its state's instance id, and renews its heartbeat every
HEARTBEAT_EVERY; another state finds the claim and refuses to act, saying who holds it, until
an operator passes `--take-over` after the heartbeat is STALE_AFTER old. Replicas of one state
share its instance id, so they are one owner. Between heartbeats nothing is asked: an idle
cycle stays one request. A running service also checks each cycle that its state file is the
one it opened (same device and inode): deleted or replaced, it stops.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from connector.clock import Clock
from connector.errors import OwnershipError
from connector.tracker.base import Notes, OwnerClaim, SupportsClaim

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = timedelta(minutes=15)
STALE_AFTER = timedelta(hours=1)
INSTANCE_KEY = "instance id"
HEARTBEAT_KEY = "claim heartbeat"


class StateWatch:
    """The state file as it was opened, by device and inode: a file deleted or replaced under
    a running service means another ticketflow may start on a new one beside it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._opened = _identity(path)

    def check(self) -> None:
        """Raise OwnershipError when the file is gone or is another file now."""
        try:
            now = _identity(self.path)
        except FileNotFoundError:
            raise OwnershipError(
                f"the state file {self.path} was deleted under this service; it stops, since "
                "a ticketflow started on a new state would act again on everything this one "
                "did. Put the file back (or restore a backup) and start again") from None
        if now != self._opened:
            raise OwnershipError(
                f"the state file {self.path} was replaced under this service (another file "
                "is at its path now); it stops rather than write beside it. Start it again "
                "on the state it should use")


def _identity(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_dev, status.st_ino


@dataclass
class Ownership:
    """This ticketflow's claim on the tracker (`where` names it for people: "Jira project
    HELP"), kept with its heartbeat; `state` watches the state file when there is one."""

    tracker: SupportsClaim
    notes: Notes
    clock: Clock
    where: str
    state_path: str
    state: StateWatch | None = None

    @property
    def instance(self) -> str:
        """The state's instance id, made when it is first needed and kept in the state."""
        known = self.notes.meta(INSTANCE_KEY)
        if known is None:
            known = uuid.uuid4().hex
            self.notes.set_meta(INSTANCE_KEY, known)
        return known

    def acquire(self, *, take_over: bool = False) -> None:
        """Claim the tracker before acting, or raise OwnershipError naming who holds it. A
        claim this state renewed within HEARTBEAT_EVERY is not asked again (cron's `once`)."""
        now = self.clock.now()
        if self._beaten_since(now):
            return
        held = self.tracker.read_claim()
        if held is not None and held.instance != self.instance:
            age = now - held.heartbeat
            if not (take_over and age >= STALE_AFTER):
                raise OwnershipError(self._refusal(held, age, take_over=take_over))
            log.warning("taking over %s from %s (last heartbeat %s ago)", self.where,
                        _describe(held), _words(age))
        self._beat(now, confirm=held is None or held.instance != self.instance)

    def check(self) -> None:
        """Before each step that acts: the state file is still the one opened; the heartbeat
        is renewed when due, and the claim is still this state's (else OwnershipError)."""
        if self.state is not None:
            self.state.check()
        now = self.clock.now()
        if self._beaten_since(now):
            return
        held = self.tracker.read_claim()
        if held is not None and held.instance != self.instance:
            raise OwnershipError(f"another ticketflow took over {self.where}: "
                                 f"{_describe(held)}; this one stops")
        self._beat(now)

    def _beaten_since(self, now: datetime) -> bool:
        last = self.notes.meta(HEARTBEAT_KEY)
        return last is not None and timedelta(0) <= now - datetime.fromisoformat(
            last) < HEARTBEAT_EVERY

    def _beat(self, now: datetime, *, confirm: bool = False) -> None:
        """Write the claim with a heartbeat of `now`. With `confirm` (a new claim), read it
        back: of two starting at once, the one whose write was overwritten stops."""
        self.tracker.write_claim(OwnerClaim(instance=self.instance, host=socket.gethostname(),
                                            state=self.state_path, heartbeat=now,
                                            pid=os.getpid()))
        if confirm:
            held = self.tracker.read_claim()
            if held is not None and held.instance != self.instance:
                raise OwnershipError(f"{self.where} was claimed at the same moment by "
                                     f"{_describe(held)}; this one does not act")
        self.notes.set_meta(HEARTBEAT_KEY, now.isoformat())

    def _refusal(self, held: OwnerClaim, age: timedelta, *, take_over: bool) -> str:
        said = (f"{self.where} is claimed by another ticketflow ({_describe(held)}), whose "
                f"last heartbeat was {_words(age)} ago; this one does not act (two would "
                "double every ticket and message). Stop the other one, or give this one its "
                "state file")
        if take_over:
            return (f"{said}. --take-over refused: a running ticketflow renews its heartbeat "
                    f"every {_words(HEARTBEAT_EVERY)}; take over once it is "
                    f"{_words(STALE_AFTER)} old")
        return (f"{said}; if it is gone for good, start this one with --take-over once its "
                f"heartbeat is {_words(STALE_AFTER)} old")


def _describe(claim: OwnerClaim) -> str:
    return f"state {claim.state} on host {claim.host}, pid {claim.pid}, instance {claim.instance}"


def _words(span: timedelta) -> str:
    """`3 minutes`, `2 hours`: how long, as people say it."""
    minutes = int(span.total_seconds() // 60)
    if abs(minutes) < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{minutes // 60} hours"
