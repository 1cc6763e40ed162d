"""Dashboards: usage, tokens and per-user figures over a time range, from the rollups."""
