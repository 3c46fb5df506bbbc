"""Durable state: bookmarks, the mirror of open tickets, processed changes, ledger, outbox."""
