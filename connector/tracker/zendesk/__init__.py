"""Zendesk Support as ticketflow's tracker: custom statuses, groups as tiers, a cursor feed."""
