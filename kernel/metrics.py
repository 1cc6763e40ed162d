"""The Prometheus metrics every layer reports to (GET /metrics serves them).

With several uvicorn workers, ``comptroller serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` before
any worker starts, and prometheus_client keeps each worker's values in files there; the
scrape, answered by any one worker, adds them up. Labels take only bounded values: routes,
codes, outcomes, and operations named by their type and root fields (never by the client's
``operationName``, which a client could vary without end).
"""

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "comptroller_http_requests_total",
    "HTTP requests answered, by route, method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "comptroller_http_request_duration_seconds",
    "Time from the request's arrival to the end of its answer, by route.",
    ["route"],
)
OPERATION_LATENCY = Histogram(
    "comptroller_graphql_operation_duration_seconds",
    "GraphQL operations (parse to result), by type and root fields, e.g. 'query project'.",
    ["operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ERRORS = Counter(
    "comptroller_errors_total",
    "Errors answered to clients, by contract code.",
    ["code"],
)
CACHE_LOOKUPS = Counter(
    "comptroller_cache_lookups_total",
    "Result-cache reads, by outcome (hit, miss, error); hit ratio = hit / all.",
    ["outcome"],
)
INGESTED_RECORDS = Counter(
    "comptroller_ingested_records_total",
    "Request records received, by outcome (accepted, duplicate).",
    ["outcome"],
)
RATE_LIMIT_REFUSALS = Counter(
    "comptroller_rate_limit_refusals_total",
    "Calls refused for a spent budget, by budget (graphql, ingestion).",
    ["budget"],
)
DATABASE_POOL = Gauge(
    "comptroller_database_pool_connections",
    "PostgreSQL pool connections per worker, by state (open, idle), summed over workers.",
    ["state"],
    multiprocess_mode="livesum",
)


def count_ingested(accepted: int, duplicates: int) -> None:
    INGESTED_RECORDS.labels("accepted").inc(accepted)
    INGESTED_RECORDS.labels("duplicate").inc(duplicates)
