"""The administration platform: registry, applications, reviews, awards, budgets, payments,
requests, users and the audit trail, on SQLite (default) or PostgreSQL."""
