"""Alerts that reach a person: budget threshold crossings POSTed to a project's webhook,
from an outbox written in the crossing's transaction, retried until delivered or given up."""
