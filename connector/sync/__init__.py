"""The sync cycle: poll the tracker, keep the mirror, derive events, plan and perform."""
