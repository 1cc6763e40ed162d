"""Schemathesis against the live GraphQL endpoint: every query and mutation of the schema,
with generated arguments and selections, sent as a given caller; every answer must be below
500 and every error in it must carry a contract code.

Shared by the suite (a few examples per operation) and ``bench/fuzz.py`` (many).
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import hypothesis
import schemathesis
from hypothesis import strategies as st
from schemathesis.specs.graphql import nodes

_instants = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.just(UTC),
)
schemathesis.graphql.scalar(
    "DateTime",
    st.one_of(
        _instants.map(lambda d: nodes.String(d.isoformat())),
        st.just(nodes.String((datetime.now(UTC) - timedelta(days=1)).isoformat())),
        st.text(max_size=30).map(nodes.String),  # garbage must be BAD_USER_INPUT
    ),
)
schemathesis.graphql.scalar("BigInt", st.integers(-(2**63), 2**63 - 1).map(nodes.Int))
schemathesis.graphql.scalar(
    "JSON", st.one_of(st.text(max_size=20).map(nodes.String), st.integers().map(nodes.Int))
)


@dataclass
class FuzzReport:
    calls: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)  # 5xx, non-JSON, or an error without code

    def see(self, label: str, status: int, body: object, text: str) -> None:
        self.calls += 1
        self.statuses[status] += 1
        if status >= 500:
            self.failures.append(f"{label}: {status} {text[:300]}")
            return
        if not isinstance(body, dict):
            self.failures.append(f"{label}: not a JSON object: {text[:300]}")
            return
        for error in body.get("errors") or []:
            code = (error.get("extensions") or {}).get("code")
            if code is None:
                self.failures.append(f"{label}: error without a code: {error}")
            else:
                self.codes[code] += 1


def fuzz(url: str, token: str, max_examples: int, seed: int = 13) -> FuzzReport:
    """Send ``max_examples`` generated documents per operation to ``url``/graphql."""
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.graphql.from_url(f"{url}/graphql", headers=headers, timeout=30)
    report = FuzzReport()
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an Err raises here, as it should
        _send_examples(operation, headers, max_examples, seed, report)
    return report


def _send_examples(
    operation: "schemathesis.APIOperation[Any, Any, Any, Any]",
    headers: dict[str, str],
    max_examples: int,
    seed: int,
    report: FuzzReport,
) -> None:
    @hypothesis.settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.generate],
    )
    @hypothesis.seed(seed)
    @hypothesis.given(case=operation.as_strategy())
    def send(case: "schemathesis.Case[Any]") -> None:
        response = case.call(headers=headers, timeout=30)
        try:
            body = response.json()
        except ValueError:
            body = None
        report.see(operation.label, response.status_code, body, response.text)

    send()
