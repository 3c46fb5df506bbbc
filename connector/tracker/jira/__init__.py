"""Everything Jira: the adapter (client), its REST helpers, field codec, installer and checks."""
