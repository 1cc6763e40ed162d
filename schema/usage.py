"""``ProjectUsage`` and ``TokenUsage``: the figures of CONTRACT.md §5, from a UsageReport."""

from datetime import datetime

import strawberry

from models.rollup import RollupSums
from resolvers.arguments import NANOS_PER_USD
from resolvers.dashboards.usage import NONE_KEY, Share, UsageReport
from schema.ai_model import Model
from schema.assistant import Assistant
from schema.context import Info
from schema.scalars import BigInt


def _ratio(numerator: float, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def _share(part: int, whole: int) -> float:
    return 0.0 if whole == 0 else 100 * part / whole


@strawberry.type(
    description="Usage figures of a period (the period before the range, in previousPeriod)."
)
class UsageTotals:
    total_cost: float = strawberry.field(description="Exact sum of the requests' costs, USD.")
    total_requests: BigInt = strawberry.field(description="Requests counted, errors included.")
    total_errors: BigInt = strawberry.field(description="Requests with status ERROR.")
    average_cost_per_request: float | None = strawberry.field(
        description="totalCost / totalRequests, USD; null when there are no requests."
    )
    average_request_time_ms: float | None = strawberry.field(
        description="Mean durationMs over all requests, errors included; null when there are none."
    )
    error_rate: float | None = strawberry.field(
        description="100 x totalErrors / totalRequests, 0..100 percent; null without requests."
    )

    @classmethod
    def from_sums(cls, sums: RollupSums) -> "UsageTotals":
        return cls(
            total_cost=sums.cost_nanos / NANOS_PER_USD,
            total_requests=BigInt(sums.requests),
            total_errors=BigInt(sums.errors),
            average_cost_per_request=_ratio(sums.cost_nanos / NANOS_PER_USD, sums.requests),
            average_request_time_ms=_ratio(sums.duration_ms, sums.requests),
            error_rate=_ratio(100 * sums.errors, sums.requests),
        )


@strawberry.type(
    description="One bucket of a usage timeline: its figures count only requests inside the range."
)
class UsageBucket(UsageTotals):
    start: datetime = strawberry.field(
        description="The bucket's first instant (UTC), aligned in the range's timezone."
    )

    @classmethod
    def at(cls, start: datetime, sums: RollupSums) -> "UsageBucket":
        totals = UsageTotals.from_sums(sums)
        return cls(start=start, **vars(totals))


@strawberry.type(description="What one assistant or model contributed to a period's usage.")
class UsageShare:
    id: strawberry.ID = strawberry.field(
        description="The assistant's or model's id; none = requests without an assistant."
    )
    name: str = strawberry.field(description="Its name (No assistant for none).")
    total_cost: float = strawberry.field(description="Exact sum of the requests' costs, USD.")
    total_requests: BigInt = strawberry.field(description="Requests counted, errors included.")
    cost_share: float = strawberry.field(description="Percent of the period's total cost, 0..100.")
    request_share: float = strawberry.field(description="Percent of the period's requests, 0..100.")


@strawberry.type(
    description="A project's usage over a range (PROJECT_MEMBER). Each figure covers "
    "from <= createdAt < to and the filter."
)
class ProjectUsage:
    report: strawberry.Private[UsageReport]

    @strawberry.field(description="Exact sum of the requests' costs, USD.")
    async def total_cost(self) -> float:
        return (await self.report.totals()).cost_nanos / NANOS_PER_USD

    @strawberry.field(
        description="totalCost / totalRequests, USD; null when there are no requests."
    )
    async def average_cost_per_request(self) -> float | None:
        return UsageTotals.from_sums(await self.report.totals()).average_cost_per_request

    @strawberry.field(
        description="Mean durationMs over all requests, errors included; null when there are none."
    )
    async def average_request_time_ms(self) -> float | None:
        return UsageTotals.from_sums(await self.report.totals()).average_request_time_ms

    @strawberry.field(description="Requests counted, errors included.")
    async def total_requests(self) -> BigInt:
        return BigInt((await self.report.totals()).requests)

    @strawberry.field(description="Requests with status ERROR.")
    async def total_errors(self) -> BigInt:
        return BigInt((await self.report.totals()).errors)

    @strawberry.field(
        description="100 x totalErrors / totalRequests, 0..100 percent; null without requests."
    )
    async def error_rate(self) -> float | None:
        return UsageTotals.from_sums(await self.report.totals()).error_rate

    @strawberry.field(description="The same figures over the same length of time just before from.")
    async def previous_period(self) -> UsageTotals:
        return UsageTotals.from_sums(await self.report.previous())

    @strawberry.field(description="One bucket per granularity step, empty ones as zeros (dense).")
    async def timeline(self) -> list[UsageBucket]:
        return [UsageBucket.at(start, sums) for start, sums in await self.report.timeline()]

    @strawberry.field(
        description="Per assistant, highest cost first; requests without one under id none."
    )
    async def by_assistant(self, info: Info) -> list[UsageShare]:
        shares = await self.report.by_assistant()
        loaded = await info.context.loaders.assistant_by_id.load_many(
            [s.key for s in shares if s.key != NONE_KEY]
        )
        names = {row.id: row.name for row in loaded if row is not None}
        names[NONE_KEY] = "No assistant"
        return await self._shares(shares, names)

    @strawberry.field(description="Per model, highest cost first.")
    async def by_model(self, info: Info) -> list[UsageShare]:
        shares = await self.report.by_model()
        loaded = await info.context.loaders.ai_model_by_id.load_many([s.key for s in shares])
        names = {row.id: row.name for row in loaded if row is not None}
        return await self._shares(shares, names)

    async def _shares(self, shares: list[Share], names: dict[int, str]) -> list[UsageShare]:
        total = RollupSums()
        for share in shares:
            total.add(share.sums)
        return [
            UsageShare(
                id=strawberry.ID("none" if s.key == NONE_KEY else str(s.key)),
                name=names.get(s.key, f"#{s.key}"),
                total_cost=s.sums.cost_nanos / NANOS_PER_USD,
                total_requests=BigInt(s.sums.requests),
                cost_share=_share(s.sums.cost_nanos, total.cost_nanos),
                request_share=_share(s.sums.requests, total.requests),
            )
            for s in shares
        ]


@strawberry.type(description="One bucket of a token timeline.")
class TokenBucket:
    start: datetime = strawberry.field(
        description="The bucket's first instant (UTC), aligned in the range's timezone."
    )
    input_tokens: BigInt = strawberry.field(description="Tokens sent to models.")
    output_tokens: BigInt = strawberry.field(description="Tokens models answered with.")
    total_tokens: BigInt = strawberry.field(description="inputTokens + outputTokens.")


@strawberry.type(description="One model's tokens within an assistant's.")
class ModelTokenUsage:
    model: Model = strawberry.field(description="The model.")
    input_tokens: BigInt = strawberry.field(description="Tokens sent to it.")
    output_tokens: BigInt = strawberry.field(description="Tokens it answered with.")
    total_tokens: BigInt = strawberry.field(description="inputTokens + outputTokens.")


@strawberry.type(description="One assistant's tokens over the range, per model.")
class AssistantTokenUsage:
    assistant: Assistant | None = strawberry.field(
        description="The assistant; null: requests without one."
    )
    input_tokens: BigInt = strawberry.field(description="Tokens sent to models.")
    output_tokens: BigInt = strawberry.field(description="Tokens models answered with.")
    total_tokens: BigInt = strawberry.field(description="inputTokens + outputTokens.")
    by_model: list[ModelTokenUsage] = strawberry.field(
        description="Per model it used, most tokens first."
    )


def _tokens(sums: RollupSums) -> tuple[BigInt, BigInt, BigInt]:
    return (
        BigInt(sums.input_tokens),
        BigInt(sums.output_tokens),
        BigInt(sums.input_tokens + sums.output_tokens),
    )


def _token_fields(sums: RollupSums) -> dict[str, BigInt]:
    given, received, total = _tokens(sums)
    return {"input_tokens": given, "output_tokens": received, "total_tokens": total}


@strawberry.type(
    description="A project's tokens over a range (PROJECT_MEMBER), from <= createdAt < to."
)
class TokenUsage:
    report: strawberry.Private[UsageReport]

    @strawberry.field(description="inputTokens + outputTokens.")
    async def total_tokens(self) -> BigInt:
        return _tokens(await self.report.totals())[2]

    @strawberry.field(description="Tokens sent to models.")
    async def input_tokens(self) -> BigInt:
        return _tokens(await self.report.totals())[0]

    @strawberry.field(description="Tokens models answered with.")
    async def output_tokens(self) -> BigInt:
        return _tokens(await self.report.totals())[1]

    @strawberry.field(description="inputTokens / requests; null when there are none.")
    async def average_input_tokens_per_request(self) -> float | None:
        totals = await self.report.totals()
        return _ratio(totals.input_tokens, totals.requests)

    @strawberry.field(description="outputTokens / requests; null when there are none.")
    async def average_output_tokens_per_response(self) -> float | None:
        totals = await self.report.totals()
        return _ratio(totals.output_tokens, totals.requests)

    @strawberry.field(description="One bucket per granularity step, empty ones as zeros (dense).")
    async def timeline(self) -> list[TokenBucket]:
        timeline = await self.report.timeline()
        return [TokenBucket(start=start, **_token_fields(sums)) for start, sums in timeline]

    @strawberry.field(description="Most tokens first, each with the models it used.")
    async def by_assistant(self, info: Info) -> list[AssistantTokenUsage]:
        per_assistant: dict[int, dict[int, RollupSums]] = {}
        for group in await self.report.by_assistant_and_model():
            assistant, model = group.keys
            per_assistant.setdefault(assistant, {}).setdefault(model, RollupSums()).add(group.sums)
        loaders = info.context.loaders
        assistants = {
            row.id: row
            for row in await loaders.assistant_by_id.load_many(
                [a for a in per_assistant if a != NONE_KEY]
            )
            if row is not None
        }
        models = {
            row.id: row
            for row in await loaders.ai_model_by_id.load_many(
                list({m for per_model in per_assistant.values() for m in per_model})
            )
            if row is not None
        }
        result: list[tuple[int, int, AssistantTokenUsage]] = []
        for assistant_id, per_model in per_assistant.items():
            total = RollupSums()
            for sums in per_model.values():
                total.add(sums)
            by_model = sorted(
                per_model.items(),
                key=lambda item: (-(item[1].input_tokens + item[1].output_tokens), item[0]),
            )
            row = assistants.get(assistant_id)
            tokens = total.input_tokens + total.output_tokens
            usage = AssistantTokenUsage(
                assistant=None if row is None else Assistant.from_model(row),
                **_token_fields(total),
                by_model=[
                    ModelTokenUsage(model=Model.from_model(models[m]), **_token_fields(s))
                    for m, s in by_model
                    if m in models
                ],
            )
            result.append((-tokens, assistant_id, usage))
        # Most tokens first; ties by assistant id, "no assistant" first.
        return [usage for *_, usage in sorted(result, key=lambda r: (r[0], r[1]))]
