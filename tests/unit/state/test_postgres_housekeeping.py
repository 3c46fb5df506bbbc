"""The service's housekeeping between jobs on PostgreSQL: the mirror's table is vacuumed once
thousands of ticket rows were rewritten (as the due index's build does), and not before."""

from __future__ import annotations

from collections.abc import Callable

from connector.domain import Ticket
from connector.state.base import Transaction
from connector.state.location import open_state
from connector.state.store import SqlStateStore


def vacuums(store: SqlStateStore) -> int:
    """How many times the mirror's table was vacuumed by hand, as the server counts."""
    (count,) = store.db.execute("SELECT vacuum_count FROM pg_stat_user_tables "
                                "WHERE relid = 'tickets'::regclass").fetchone()
    return int(count)


def test_a_large_rewrite_of_the_mirror_is_vacuumed_between_jobs(
        postgres_url: str, make_ticket: Callable[..., Ticket]) -> None:
    """After a few tickets written, `tidy` leaves the table to autovacuum; after 6,000 rows
    rewritten it vacuums it at once (the dead versions a due-index build leaves would make the
    next cycle's scan of due tickets step over each one: 0.1 to 0.27 s at 100,000 tickets);
    the next `tidy`, with nothing rewritten since, does not vacuum again."""
    store = open_state(postgres_url)
    try:
        store.commit(Transaction(tickets=[make_ticket(n) for n in range(10)]))
        store.tidy()
        assert vacuums(store) == 0
        store.commit(Transaction(tickets=[make_ticket(n) for n in range(3_000)]))
        store.commit(Transaction(tickets=[make_ticket(n, summary="again")
                                          for n in range(3_000)]))
        store.tidy()
        assert vacuums(store) == 1
        store.tidy()
        assert vacuums(store) == 1
    finally:
        store.close()
