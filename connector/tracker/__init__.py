"""Everything that speaks to the issue tracker; only `tracker.jira` imports the jira library."""
