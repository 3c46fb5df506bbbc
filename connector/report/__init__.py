"""`ticketflow report`: the workflow's figures from the state store, as HTML, JSON or CSV."""
