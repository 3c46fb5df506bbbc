"""`ticketflow backtest`: the tracker's recent history replayed through the rules, read-only."""
