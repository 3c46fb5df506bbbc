"""ticketflow: a support workflow mirrored onto Jira, driven by admin-edited YAML rules."""

__version__ = "0.1.0"
