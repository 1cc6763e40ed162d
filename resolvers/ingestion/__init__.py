"""Ingestion: recording the requests gateways report, and importing them from files."""
