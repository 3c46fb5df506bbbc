"""The owner claim and the state-file watch, over the FakeTracker with an injected clock: who
may act, when the tracker is asked, what a refusal says, and how a running service stops."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connector.clock import SettableClock
from connector.errors import OwnershipError
from connector.sync.loop import Health, Intervals, ServiceLoop
from connector.sync.ownership import Ownership, StateWatch
from connector.tracker.base import OwnerClaim
from connector.tracker.claim import claim_from_json, claim_json
from connector.tracker.fake import FakeTracker

NOW = datetime(2026, 12, 1, 15, tzinfo=UTC)


class Notes(dict[str, str]):
    """One state's meta table, in memory."""

    def meta(self, key: str) -> str | None:
        return self.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self[key] = value


def _tracker(clock: SettableClock) -> FakeTracker:
    return FakeTracker(clock=clock, project="HELP", statuses=["Pending"], done=[],
                       initial="Pending", transitions=[])


def _instance(tracker: FakeTracker, clock: SettableClock, state: str) -> Ownership:
    return Ownership(tracker, Notes(), clock, where="Jira project HELP", state_path=state)


def test_the_first_claims_and_a_second_state_is_refused_with_who_holds_it() -> None:
    """A claims the unclaimed tracker; B (another state) is refused, naming A's state and
    the heartbeat's age; A itself acquires again without a fuss."""
    clock = SettableClock(NOW)
    tracker = _tracker(clock)
    first, second = (_instance(tracker, clock, s) for s in ("/data/a.db", "/data/b.db"))
    first.acquire()
    assert tracker.claim is not None
    assert (tracker.claim.state, tracker.claim.instance) == ("/data/a.db", first.instance)
    clock.advance(timedelta(minutes=3))
    with pytest.raises(OwnershipError) as refused:
        second.acquire()
    assert str(refused.value).startswith(
        "Jira project HELP is claimed by another ticketflow (state /data/a.db on host ")
    assert "whose last heartbeat was 3 minutes ago; this one does not act" in str(refused.value)
    assert "start this one with --take-over once its heartbeat is 60 minutes old" in str(
        refused.value)
    first.acquire()
    assert tracker.claim.instance == first.instance


def test_take_over_waits_for_a_stale_heartbeat_and_the_old_owner_then_stops() -> None:
    """--take-over is refused while the holder's heartbeat is fresh; an hour without one, B
    takes the claim, and A, still running, stops at its next heartbeat."""
    clock = SettableClock(NOW)
    tracker = _tracker(clock)
    first, second = (_instance(tracker, clock, s) for s in ("/data/a.db", "/data/b.db"))
    first.acquire()
    clock.advance(timedelta(minutes=59))
    with pytest.raises(OwnershipError, match="--take-over refused"):
        second.acquire(take_over=True)
    clock.advance(timedelta(minutes=1))
    second.acquire(take_over=True)
    assert tracker.claim is not None and tracker.claim.instance == second.instance
    with pytest.raises(OwnershipError, match=re.escape(
            "another ticketflow took over Jira project HELP: state /data/b.db")):
        first.check()


def test_the_tracker_is_asked_only_when_a_heartbeat_is_due() -> None:
    """Cycles within 15 minutes of the last heartbeat ask the tracker nothing (an idle cycle
    stays one request); a due one reads the claim and writes a new heartbeat."""
    clock = SettableClock(NOW)
    tracker = _tracker(clock)
    owner = _instance(tracker, clock, "/data/a.db")
    owner.acquire()
    tracker.calls.clear()
    for _ in range(14):
        clock.advance(timedelta(minutes=1))
        owner.check()
    assert tracker.calls == []
    clock.advance(timedelta(minutes=1))
    owner.check()
    assert tracker.calls == ["read_claim", "write_claim"]
    assert tracker.claim is not None and tracker.claim.heartbeat == clock.now()


class RacedTracker(FakeTracker):
    """A tracker where another ticketflow writes its claim right after ours."""

    def write_claim(self, claim: OwnerClaim) -> None:
        super().write_claim(claim)
        super().write_claim(OwnerClaim("rival", "host-b", "/data/b.db", NOW, 7))


def test_a_claim_overwritten_at_the_same_moment_stops_the_loser() -> None:
    """Two start at once: both read no claim and write theirs; the one that reads the other's
    back does not act."""
    clock = SettableClock(NOW)
    tracker = RacedTracker(clock=clock, project="HELP", statuses=["Pending"], done=[],
                           initial="Pending", transitions=[])
    with pytest.raises(OwnershipError, match=re.escape(
            "claimed at the same moment by state /data/b.db")):
        _instance(tracker, clock, "/data/a.db").acquire()


def test_a_claim_value_ticketflow_did_not_write_is_no_claim() -> None:
    """A property someone edited by hand (wrong shape, a time without offset) is no claim;
    one ticketflow wrote reads back as it was."""
    claim = OwnerClaim("id-1", "host-a", "/data/a.db", NOW, 42)
    assert claim_from_json(claim_json(claim)) == claim
    assert claim_from_json(None) is None
    assert claim_from_json(["not", "an", "object"]) is None
    assert claim_from_json({"instance": "x", "heartbeat": "yesterday"}) is None
    assert claim_from_json({"instance": "x", "heartbeat": "2026-12-01T15:00:00"}) is None


def test_a_state_file_deleted_or_replaced_is_noticed(tmp_path: Path) -> None:
    """The watch passes while the file is the one opened; a file deleted, or another file
    moved to its path (a restored copy), raises OwnershipError saying which."""
    state = tmp_path / "state.db"
    state.write_bytes(b"state")
    watch = StateWatch(state)
    watch.check()
    copy = tmp_path / "copy.db"
    copy.write_bytes(b"state")
    copy.replace(state)
    with pytest.raises(OwnershipError, match="was replaced under this service"):
        watch.check()
    state.unlink()
    with pytest.raises(OwnershipError, match="was deleted under this service"):
        watch.check()


class LostState:
    """A cycle whose sync finds the state gone; mail and delivery do nothing."""

    def read_mail(self) -> None:
        return None

    def sync(self) -> None:
        raise OwnershipError("the state file /data/a.db was deleted under this service")

    def deliver_mail(self) -> None:
        return None


def test_the_service_loop_stops_on_an_ownership_error_and_raises_it() -> None:
    """Unlike other failures, which are logged while the loop goes on, an OwnershipError
    stops the loop and comes out of run(), for the CLI's exit code 3."""
    stop = threading.Event()
    loop = ServiceLoop(LostState(), intervals=Intervals(),  # type: ignore[arg-type]
                       health=Health(SettableClock(NOW), stale_after=timedelta(minutes=5)),
                       stop=stop)
    finished = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            loop.run()
        except OwnershipError as error:
            errors.append(error)
        finished.set()

    threading.Thread(target=run, daemon=True).start()
    assert finished.wait(timeout=10)
    assert stop.is_set()
    assert [str(e) for e in errors] == [
        "the state file /data/a.db was deleted under this service"]
