"""CSV for BI tools under ``/exports/*.csv``: the request log and every dashboard figure.

The same bearer token, the same policy and the same figures as GraphQL: the timelines and
breakdowns run the GraphQL query the page runs, through the schema, and flatten its answer;
the request log streams from the database in keyset batches. Errors are the contract's JSON.
"""
