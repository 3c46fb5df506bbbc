"""Rule tests (`ticketflow test`): an admin's YAML cases run through the real service.

A case gives tickets, a timeline and expectations; the service runs against the in-memory
tracker.
"""
