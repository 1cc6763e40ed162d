"""Governance: projects, members and roles, assistants, API tokens, users, models, audit."""
