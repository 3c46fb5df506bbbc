"""`ticketflow demo`: the main job on embedded defaults, against the in-process Jira sandbox."""
