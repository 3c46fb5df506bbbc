"""`ticketflow state`: apply the state's pending migrations, or check which are applied."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from connector.commands.base import add_command

if TYPE_CHECKING:
    from connector.settings import Settings
    from connector.state.sql import Database


def register(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
             common: Sequence[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub, common, "state", handler=state, summary="migrate or check the state database",
        description="`migrate` applies the named migrations the state (a SQLite file or a "
        "PostgreSQL database) lacks, each in one transaction, and says which; it holds the "
        "instance lock meanwhile, so stop the service first. `check` changes nothing: it lists "
        "the applied and pending migrations, exits 1 when some are pending, and refuses a state "
        "written by a newer ticketflow.", settings=("state_db",))
    parser.add_argument("action", choices=["migrate", "check"])


def state(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "migrate":
        return _migrate(settings)
    return _check(settings)


def _migrate(settings: Settings) -> int:
    """Apply what is missing, under the single-instance lock (a running service refuses it)."""
    from connector.state.location import open_state
    from connector.state.migrate import apply_migrations
    from connector.state.migrations import MIGRATIONS

    store = open_state(settings.state_db, migrate=False)
    try:
        with store.lock():
            _refuse_beside_a_leader(store.db)
            applied = apply_migrations(store.db, migrations=MIGRATIONS)
    finally:
        store.close()
    for name in applied:
        print(f"applied {name}")
    if applied:
        print(f"state {store.location}: {len(applied)} migration(s) applied, up to date")
    else:
        print(f"state {store.location}: up to date, nothing to apply")
    return 0


def _refuse_beside_a_leader(db: Database) -> None:
    """A replica of `run` (or `once`) holding the lease: no migration beside it."""
    from datetime import UTC, datetime

    from connector.errors import FatalError
    from connector.state.lease import live_leader

    held = live_leader(db, datetime.now(UTC))
    if held is not None:
        until = held.expires_at.isoformat(timespec="seconds")
        raise FatalError(f"another ticketflow is already working on state {db.location} "
                         f"({held.holder} leads, lease until {until}); stop it before "
                         "migrating")


def _check(settings: Settings) -> int:
    """Read which migrations are there, writing nothing; 1 when some are pending."""
    from contextlib import closing

    from connector.state.location import open_reader
    from connector.state.migrate import migration_state, refuse_newer
    from connector.state.migrations import MIGRATIONS

    with closing(open_reader(settings.state_db)) as db:
        found = migration_state(db, MIGRATIONS)
        location = db.location
    refuse_newer(found, location)
    print(f"state {location}")
    for name in found.applied:
        print(f"applied  {name}")
    for name in found.pending:
        print(f"pending  {name}")
    if found.pending:
        print(f"{len(found.pending)} pending; run `ticketflow state migrate` (after stopping the "
              "service and taking a backup)")
        return 1
    print(f"{len(found.applied)} applied, none pending")
    return 0
