"""Comptroller: usage, cost and access governance for AI-assistant platforms."""
