"""`ticketflow state migrate` and `state check`, on both backends, through the command line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connector.cli import main
from connector.state.location import open_state
from connector.state.migrations import MIGRATIONS, apply_migrations
from connector.state.sql import Database

LAST = MIGRATIONS[-1].name


@pytest.fixture
def env(state_location: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """TICKETFLOW_STATE_DB set to the test's state (a file, or a PostgreSQL schema)."""
    monkeypatch.setenv("TICKETFLOW_STATE_DB", state_location)
    return state_location


def test_check_of_an_up_to_date_state_lists_every_migration_and_exits_0(
        env: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A state opened by this version has every migration: check names them all, none
    pending, exit 0."""
    open_state(env).close()
    assert main(["state", "check"]) == 0
    out = capsys.readouterr().out
    assert all(f"applied  {m.name}" in out for m in MIGRATIONS)
    assert "pending " not in out and f"{len(MIGRATIONS)} applied, none pending" in out


def test_an_older_state_is_pending_until_migrate_applies_what_it_lacks(
        env: str, raw: Database, capsys: pytest.CaptureFixture[str]) -> None:
    """A state an older ticketflow wrote (every migration but the last): check exits 1 naming
    the pending one and changes nothing; migrate applies exactly it and says so; check is then
    clean, and a second migrate has nothing to do."""
    apply_migrations(raw, migrations=MIGRATIONS[:-1])
    assert main(["state", "check"]) == 1
    out = capsys.readouterr().out
    assert f"pending  {LAST}" in out and "1 pending; run `ticketflow state migrate`" in out
    assert main(["state", "check"]) == 1  # check applied nothing
    capsys.readouterr()
    assert main(["state", "migrate"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"applied {LAST}"
    assert main(["state", "check"]) == 0
    capsys.readouterr()
    assert main(["state", "migrate"]) == 0
    assert "nothing to apply" in capsys.readouterr().out


def test_a_state_written_by_a_newer_ticketflow_is_refused(
        env: str, raw: Database, capsys: pytest.CaptureFixture[str]) -> None:
    """A migration this version does not know makes check and migrate fail (exit 1) by name,
    and migrate leaves the state as it was."""
    apply_migrations(raw, migrations=MIGRATIONS)
    raw.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                ("0999_from_the_future", datetime(2027, 1, 1, tzinfo=UTC).isoformat()))
    assert main(["state", "check"]) == 1
    assert "newer ticketflow: unknown migration 0999_from_the_future" in capsys.readouterr().err
    assert main(["state", "migrate"]) == 1
    assert "0999_from_the_future" in capsys.readouterr().err


def test_migrate_is_refused_while_a_service_holds_the_state(
        env: str, raw: Database, capsys: pytest.CaptureFixture[str]) -> None:
    """While another ticketflow holds the instance lock, migrate changes nothing and fails."""
    apply_migrations(raw, migrations=MIGRATIONS[:-1])
    service = open_state(env, migrate=False)
    try:
        with service.lock():
            assert main(["state", "migrate"]) == 1
            assert "another ticketflow is already working on state" in capsys.readouterr().err
    finally:
        service.close()
    assert main(["state", "check"]) == 1
    assert f"pending  {LAST}" in capsys.readouterr().out


def test_migrate_is_refused_while_a_replica_leads(
        env: str, raw: Database, capsys: pytest.CaptureFixture[str]) -> None:
    """A `run` replica holds no instance lock, only the lease: while its lease is live,
    migrate changes nothing and fails naming it; once it is released, migrate goes on."""
    from datetime import timedelta

    from connector.clock import SystemClock
    from connector.state.lease import Holder, Lease

    apply_migrations(raw, migrations=MIGRATIONS[:-1])
    lease = Lease(env, clock=SystemClock(), period=timedelta(minutes=5),
                  holder=Holder("replica-host", 4242, "r1"))
    try:
        record = lease.acquire()
        assert record is not None
        assert main(["state", "migrate"]) == 1
        assert "(replica-host pid 4242 leads, lease until" in capsys.readouterr().err
        assert main(["state", "check"]) == 1  # nothing was applied
        capsys.readouterr()
        lease.release(record.token)
        assert main(["state", "migrate"]) == 0
        assert capsys.readouterr().out.splitlines()[0] == f"applied {LAST}"
    finally:
        lease.close()
