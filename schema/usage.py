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


@strawberry.type
class UsageTotals:
    total_cost: float
    total_requests: BigInt
    total_errors: BigInt
    average_cost_per_request: float | None
    average_request_time_ms: float | None
    error_rate: float | None = strawberry.field(description="Percent, 0..100.")

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


@strawberry.type
class UsageBucket(UsageTotals):
    start: datetime

    @classmethod
    def at(cls, start: datetime, sums: RollupSums) -> "UsageBucket":
        totals = UsageTotals.from_sums(sums)
        return cls(start=start, **vars(totals))


@strawberry.type
class UsageShare:
    id: strawberry.ID
    name: str
    total_cost: float
    total_requests: BigInt
    cost_share: float = strawberry.field(description="Percent of the total cost.")
    request_share: float = strawberry.field(description="Percent of the total requests.")


@strawberry.type
class ProjectUsage:
    report: strawberry.Private[UsageReport]

    @strawberry.field
    async def total_cost(self) -> float:
        return (await self.report.totals()).cost_nanos / NANOS_PER_USD

    @strawberry.field
    async def average_cost_per_request(self) -> float | None:
        return UsageTotals.from_sums(await self.report.totals()).average_cost_per_request

    @strawberry.field
    async def average_request_time_ms(self) -> float | None:
        return UsageTotals.from_sums(await self.report.totals()).average_request_time_ms

    @strawberry.field
    async def total_requests(self) -> BigInt:
        return BigInt((await self.report.totals()).requests)

    @strawberry.field
    async def total_errors(self) -> BigInt:
        return BigInt((await self.report.totals()).errors)

    @strawberry.field(description="Percent, 0..100.")
    async def error_rate(self) -> float | None:
        return UsageTotals.from_sums(await self.report.totals()).error_rate

    @strawberry.field(description="The same length of time just before from.")
    async def previous_period(self) -> UsageTotals:
        return UsageTotals.from_sums(await self.report.previous())

    @strawberry.field
    async def timeline(self) -> list[UsageBucket]:
        return [UsageBucket.at(start, sums) for start, sums in await self.report.timeline()]

    @strawberry.field(description="Highest cost first; no assistant is id none.")
    async def by_assistant(self, info: Info) -> list[UsageShare]:
        shares = await self.report.by_assistant()
        loaded = await info.context.loaders.assistant_by_id.load_many(
            [s.key for s in shares if s.key != NONE_KEY]
        )
        names = {row.id: row.name for row in loaded if row is not None}
        names[NONE_KEY] = "No assistant"
        return await self._shares(shares, names)

    @strawberry.field(description="Highest cost first.")
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


@strawberry.type
class TokenBucket:
    start: datetime
    input_tokens: BigInt
    output_tokens: BigInt
    total_tokens: BigInt


@strawberry.type
class ModelTokenUsage:
    model: Model
    input_tokens: BigInt
    output_tokens: BigInt
    total_tokens: BigInt


@strawberry.type
class AssistantTokenUsage:
    assistant: Assistant | None = strawberry.field(description="null: requests without one.")
    input_tokens: BigInt
    output_tokens: BigInt
    total_tokens: BigInt
    by_model: list[ModelTokenUsage]


def _tokens(sums: RollupSums) -> tuple[BigInt, BigInt, BigInt]:
    return (
        BigInt(sums.input_tokens),
        BigInt(sums.output_tokens),
        BigInt(sums.input_tokens + sums.output_tokens),
    )


def _token_fields(sums: RollupSums) -> dict[str, BigInt]:
    given, received, total = _tokens(sums)
    return {"input_tokens": given, "output_tokens": received, "total_tokens": total}


@strawberry.type
class TokenUsage:
    report: strawberry.Private[UsageReport]

    @strawberry.field
    async def total_tokens(self) -> BigInt:
        return _tokens(await self.report.totals())[2]

    @strawberry.field
    async def input_tokens(self) -> BigInt:
        return _tokens(await self.report.totals())[0]

    @strawberry.field
    async def output_tokens(self) -> BigInt:
        return _tokens(await self.report.totals())[1]

    @strawberry.field
    async def average_input_tokens_per_request(self) -> float | None:
        totals = await self.report.totals()
        return _ratio(totals.input_tokens, totals.requests)

    @strawberry.field
    async def average_output_tokens_per_response(self) -> float | None:
        totals = await self.report.totals()
        return _ratio(totals.output_tokens, totals.requests)

    @strawberry.field
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
