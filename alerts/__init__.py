"""Alerts: company digests, ILO notifications and health mails, delivered exactly once."""
