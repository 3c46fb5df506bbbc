"""The tracker's feed and clock are its own, not the host's; the census repairs what polling
missed. (Jira's bookmark on Jira's clock is held to the sandbox: tests/integration/
test_poll_e2e.py and test_jira_feed.py.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from connector.state.base import Bookmark, Transaction
from connector.state.sqlite import SqliteStateStore
from tests.unit.sync.conftest import MONDAY, LedgerRig


def test_a_host_clock_twenty_minutes_ahead_misses_no_ticket(
        make_rig: Callable[..., LedgerRig]) -> None:
    """The tracker's clock is 20 minutes behind the host's. A ticket created just after the
    first run is stamped 20 minutes "earlier" than the host's time: it is still polled,
    mirrored and acknowledged, and the baseline is the tracker's time, not the host's."""
    rig = make_rig(tracker_behind=timedelta(minutes=20))
    key = rig.new_ticket("Locked out of my account")
    rig.advance(timedelta(minutes=5))
    rig.cycle()
    assert len(rig.mails(key, "request_submitted")) == 1
    store = SqliteStateStore(rig.settings.state_db)
    try:
        assert store.ticket_by_key(key) is not None
        baseline = store.baseline("HELP")
    finally:
        store.close()
    assert baseline == MONDAY - timedelta(minutes=20)


def test_the_census_feeds_missed_new_tickets_through_and_mirrors_older_ones(
        make_rig: Callable[..., LedgerRig]) -> None:
    """A state whose bookmark ran ahead (as the host's clock made it before) misses a new
    ticket; an older ticket dropped out of the mirror. At the hourly census both are fetched:
    the new one is acknowledged (created after the first run's baseline), the older one is
    only mirrored (it was there before ticketflow)."""
    rig = make_rig(first_run=False)
    older = rig.new_ticket("Old question")
    rig.advance(timedelta(minutes=1))
    rig.cycle()                                   # first run: baseline, older mirrored
    store = SqliteStateStore(rig.settings.state_db)
    ahead = "999999"  # a bookmark past every change the fake tracker will make
    store.commit(Transaction(bookmark=Bookmark("HELP", ahead, True)))
    with store.db.transaction():
        store.db.execute("DELETE FROM tickets WHERE key = ?", (older,))
    store.close()
    rig.advance(timedelta(minutes=4))
    missed = rig.new_ticket("Locked out of my account")
    rig.advance(timedelta(minutes=5))
    report = rig.cycle()
    assert report.census is None and rig.mails(missed) == []   # the poll missed it
    rig.advance(timedelta(hours=1))
    report = rig.cycle()
    assert report.census == (2, 0)
    assert len(rig.mails(missed, "request_submitted")) == 1
    assert rig.mails(older) == []
    store = SqliteStateStore(rig.settings.state_db)
    try:
        assert {t.key for t in store.open_tickets("HELP")} == {older, missed}
        census = store.last_census("HELP")
        assert census is not None and census.gap == 2
    finally:
        store.close()
    rig.advance(timedelta(hours=1))
    assert rig.cycle().census == (2, 2)
