"""Realistic demo data for ``comptroller demo``: projects, people, assistants, 90 days of requests.

The few hundred small rows go through the ORM; the requests, which are the bulk, go in with raw
``executemany`` in one transaction (about 15x faster than ``bulk_create``, see PITFALLS.md).
A seed makes the data repeatable, apart from token secrets, which are always fresh.

``catalog`` says what the demo holds; ``world``, ``people`` and ``projects`` create it;
``traffic``, ``request_rows`` and ``failures`` draw the requests; ``loader`` inserts them and
``outcomes`` records what depends on them. Every draw comes from one ``random.Random`` in a
fixed order, so moving a draw changes the data a seed gives.
"""

from comptroller.demo.loader import load_demo

__all__ = ["load_demo"]
