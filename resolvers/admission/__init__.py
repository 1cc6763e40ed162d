"""Admission: may a project's gateway make a call now (model allowed, assistant active,
budget not exhausted)? Answered from a cache keyed by the versions that change its answer."""
