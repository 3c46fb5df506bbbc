"""Mail in and out: templates, composition, the outbox and its delivery."""
