"""The dashboard figures as CSV: each export is a GraphQL document (the page's fields) and
how its answer becomes a header and rows. Running the document through the schema gives the
exports GraphQL's authentication, policy checks, validation, limits and numbers, unchanged.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from comptroller.exports.cells import instant_cell, number_cell, text_cell

Rows = list[list[str]]
ARGUMENTS = "$project: ID!, $range: TimeRange!, $filter: UsageFilter"


def _document(field: str, selection: str, extra_arguments: str = "") -> str:
    """A query for one report of the project, aliased ``report``."""
    arguments = ARGUMENTS + (f", {extra_arguments}" if extra_arguments else "")
    return (
        f"query Export({arguments}) {{ project(id: $project) {{ "
        f"report: {field}(range: $range, filter: $filter) {{ {selection} }} }} }}"
    )


@dataclass(frozen=True)
class FigureExport:
    document: str
    extra: tuple[str, ...]  # query-string parameters beyond the range and the filter
    table: Callable[[dict[str, Any]], tuple[list[str], Rows]]  # the answer's report → CSV


def _timeline(fields: list[str]) -> Callable[[dict[str, Any]], tuple[list[str], Rows]]:
    def table(report: dict[str, Any]) -> tuple[list[str], Rows]:
        rows = [
            [instant_cell(bucket["start"]), *(number_cell(bucket[f]) for f in fields)]
            for bucket in report["timeline"]
        ]
        return ["start", *fields], rows

    return table


def _shares(key: str) -> Callable[[dict[str, Any]], tuple[list[str], Rows]]:
    fields = ["totalCost", "totalRequests", "costShare", "requestShare"]

    def table(report: dict[str, Any]) -> tuple[list[str], Rows]:
        rows = [
            [
                text_cell(share["id"]),
                text_cell(share["name"]),
                *(number_cell(share[f]) for f in fields),
            ]
            for share in report[key]
        ]
        return ["id", "name", *fields], rows

    return table


def _tokens_by_assistant(report: dict[str, Any]) -> tuple[list[str], Rows]:
    sums = ["inputTokens", "outputTokens", "totalTokens"]
    rows = []
    for usage in report["byAssistant"]:
        assistant = usage["assistant"] or {"id": "none", "name": None}
        for by_model in usage["byModel"]:
            rows.append(
                [
                    text_cell(assistant["id"]),
                    text_cell(assistant["name"]),
                    text_cell(by_model["model"]["id"]),
                    text_cell(by_model["model"]["name"]),
                    *(number_cell(by_model[f]) for f in sums),
                ]
            )
    return ["assistantId", "assistantName", "modelId", "modelName", *sums], rows


def _top_users(key: str) -> Callable[[dict[str, Any]], tuple[list[str], Rows]]:
    fields = ["totalCost", "totalRequests", "totalTokens"]

    def table(report: dict[str, Any]) -> tuple[list[str], Rows]:
        rows = [
            [
                str(rank),
                text_cell(usage["user"]["id"]),
                text_cell(usage["user"]["name"]),
                text_cell(usage["user"]["email"]),
                *(number_cell(usage[f]) for f in fields),
            ]
            for rank, usage in enumerate(report[key], start=1)
        ]
        return ["rank", "userId", "userName", "userEmail", *fields], rows

    return table


def _pivot(report: dict[str, Any]) -> tuple[list[str], Rows]:
    pivot = report["pivot"]
    header = ["userId", "userName", "userEmail"]
    header += [text_cell(column["label"]) for column in pivot["columns"]] + ["total"]
    rows = [
        [
            text_cell(row["user"]["id"]),
            text_cell(row["user"]["name"]),
            text_cell(row["user"]["email"]),
            *(number_cell(value) for value in row["values"]),
            number_cell(row["total"]),
        ]
        for row in pivot["rows"]
    ]
    return header, rows


USAGE_TOTALS = [
    "totalCost",
    "totalRequests",
    "totalErrors",
    "averageCostPerRequest",
    "averageRequestTimeMs",
    "errorRate",
]
TOKEN_SUMS = ["inputTokens", "outputTokens", "totalTokens"]
USER_AVERAGES = ["activeUsers", "averageCostPerUser", "averageRequestsPerUser"]
SHARE = "id name totalCost totalRequests costShare requestShare"
TOP = "user { id name email } totalCost totalRequests totalTokens"

FIGURE_EXPORTS: dict[str, FigureExport] = {
    "usage-timeline": FigureExport(
        _document("usage", f"timeline {{ start {' '.join(USAGE_TOTALS)} }}"),
        (),
        _timeline(USAGE_TOTALS),
    ),
    "usage-by-assistant": FigureExport(
        _document("usage", f"byAssistant {{ {SHARE} }}"), (), _shares("byAssistant")
    ),
    "usage-by-model": FigureExport(
        _document("usage", f"byModel {{ {SHARE} }}"), (), _shares("byModel")
    ),
    "tokens-timeline": FigureExport(
        _document("tokenUsage", f"timeline {{ start {' '.join(TOKEN_SUMS)} }}"),
        (),
        _timeline(TOKEN_SUMS),
    ),
    "tokens-by-assistant": FigureExport(
        _document(
            "tokenUsage",
            "byAssistant { assistant { id name } byModel { model { id name } "
            f"{' '.join(TOKEN_SUMS)} }} }}",
        ),
        (),
        _tokens_by_assistant,
    ),
    "users-timeline": FigureExport(
        _document("userActivity", f"timeline {{ start {' '.join(USER_AVERAGES)} }}"),
        (),
        _timeline(USER_AVERAGES),
    ),
    "users-top-by-cost": FigureExport(
        _document("userActivity", f"topUsersByCost(limit: $limit) {{ {TOP} }}", "$limit: Int = 10"),
        ("limit",),
        _top_users("topUsersByCost"),
    ),
    "users-top-by-requests": FigureExport(
        _document(
            "userActivity", f"topUsersByRequests(limit: $limit) {{ {TOP} }}", "$limit: Int = 10"
        ),
        ("limit",),
        _top_users("topUsersByRequests"),
    ),
    "users-pivot": FigureExport(
        _document(
            "userActivity",
            "pivot(columns: $columns, measure: $measure) { columns { key label } "
            "rows { user { id name email } values total } }",
            "$columns: PivotDimension! = ASSISTANT, $measure: PivotMeasure! = COST",
        ),
        ("columns", "measure"),
        _pivot,
    ),
}
