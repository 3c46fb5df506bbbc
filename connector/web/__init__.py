"""HTTP endpoints of `ticketflow run`: health, metrics and the feedback form."""
