"""Budgets: a project's spend per calendar month in its time zone, the thresholds reached,
and the crossing of each threshold, decided once in the transaction that records it."""
