"""Where one 1,000-record batch of ``recordRequests`` spends its time, phase by phase, and a
cProfile of it: printed when the ingestion benchmark misses its target or is asked to."""

import cProfile
import io
import pstats
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import orjson
from graphql import OperationDefinitionNode, parse, validate
from graphql.execution.values import get_variable_values
from strawberry.types.arguments import convert_arguments
from strawberry.types.base import StrawberryObjectDefinition
from tortoise.transactions import in_transaction

from bench.ingestion_data import (
    BATCH,
    World,
    body_of,
    make_records,
    to_record_inputs,
)
from comptroller.settings import REPOSITORY_ROOT
from kernel.authorization import Policy
from kernel.cache import ResultCache
from resolvers.ingestion.recording import resolve_rows
from resolvers.ingestion.storage import first_of_each, store_rows
from resolvers.ingestion.validation import parse_records
from schema import build_schema
from schema.context import build_context
from schema.records_coercion import RecordsCoercer
from schema.records_reader import convert_records_variable
from tests.support.records import RECORD_REQUESTS

PHASE_BATCHES = 5


async def median_batch_ms(
    world: World,
    rng: random.Random,
    label: str,
    action: Callable[[list[dict[str, Any]]], Awaitable[Any]],
) -> float:
    """Median over PHASE_BATCHES fresh 1,000-record batches of ``action(records)``."""
    samples = []
    for index in range(PHASE_BATCHES):
        records = make_records(rng, world, f"{label}-{index}", BATCH, datetime.now(UTC))
        start = time.perf_counter()
        await action(records)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


async def breakdown(world: World, rng: random.Random, name: str, http_batch_ms: float) -> None:
    """Phases of one 1,000-record batch, in process, and a cProfile of ``schema.execute``."""
    schema = build_schema()
    policy = Policy(REPOSITORY_ROOT / "policy.polar")
    cache = ResultCache("memory://", "bench")
    project_id = world.project.id
    token_id = world.recording_token.id
    graphql_schema = schema._schema
    document = parse(RECORD_REQUESTS)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)

    async def execute(records: list[dict[str, Any]]) -> None:
        context = await build_context(
            token=world.secret, policy=policy, cache=cache, request_id="bench"
        )
        result = await schema.execute(RECORD_REQUESTS, {"records": records}, context_value=context)
        assert result.errors is None, result.errors
        assert result.data is not None
        assert result.data["recordRequests"]["accepted"] == len(records)
        world.sent += len(records)

    async def context_only(_: list[dict[str, Any]]) -> None:
        await build_context(token=world.secret, policy=policy, cache=cache, request_id="bench")

    async def json_decode(records: list[dict[str, Any]]) -> None:
        orjson.loads(body_of(records))

    async def parse_validate(_: list[dict[str, Any]]) -> None:
        errors = validate(graphql_schema, parse(RECORD_REQUESTS))
        assert not errors, errors

    coercer = RecordsCoercer(graphql_schema)

    async def fast_coerce(records: list[dict[str, Any]]) -> None:
        assert coercer.coerce(records) is not None

    async def coerce(records: list[dict[str, Any]]) -> None:
        coerced = get_variable_values(
            graphql_schema, operation.variable_definitions or (), {"records": records}
        )
        assert not isinstance(coerced, list), coerced[:3]

    mutation = schema.get_type_by_name("Mutation")
    assert isinstance(mutation, StrawberryObjectDefinition)
    field = mutation.get_field("record_requests")
    assert field is not None

    async def convert(records: list[dict[str, Any]]) -> None:
        coerced = get_variable_values(
            graphql_schema, operation.variable_definitions or (), {"records": records}
        )
        assert not isinstance(coerced, list), coerced[:3]
        start = time.perf_counter()
        converted = convert_arguments(
            coerced.coerced,
            field.arguments,
            scalar_registry=schema.schema_converter.scalar_registry,
            config=schema.config,
        )
        convert_ms.append((time.perf_counter() - start) * 1000)
        assert len(converted["records"]) == len(records)

    convert_ms: list[float] = []

    async def msgspec_read(records: list[dict[str, Any]]) -> None:
        assert convert_records_variable(records) is not None

    phases: dict[str, list[float]] = {
        k: []
        for k in (
            "parse_records",
            "resolve_rows (lookups + rows)",
            "store_rows (COPY or INSERT, data version, rollups)",
            "commit",
        )
    }

    async def resolver(records: list[dict[str, Any]]) -> None:
        inputs = to_record_inputs(records)
        marks = [time.perf_counter()]
        parsed = parse_records(inputs)
        marks.append(time.perf_counter())
        rows = first_of_each(await resolve_rows(project_id, token_id, parsed))
        marks.append(time.perf_counter())
        # The steps of record_requests, timed one by one.
        rows.sort(key=lambda row: row.external_id)
        async with in_transaction() as connection:
            stored = await store_rows(connection, project_id, rows)
            marks.append(time.perf_counter())
        marks.append(time.perf_counter())
        assert len(stored) == len(records)
        world.sent += len(records)
        for samples, (begin, end) in zip(phases.values(), pairwise(marks), strict=True):
            samples.append((end - begin) * 1000)

    await execute(make_records(rng, world, "warm-profile", BATCH, datetime.now(UTC)))
    total = await median_batch_ms(world, rng, "phase-exec", execute)
    figures = {
        "JSON decode of the HTTP body (server side, orjson)": await median_batch_ms(
            world, rng, "p-json", json_decode
        ),
        "GraphQL parse + validate, uncached (the schema caches both)": await median_batch_ms(
            world, rng, "p-parse", parse_validate
        ),
        "build_context (authenticate the API token)": await median_batch_ms(
            world, rng, "p-ctx", context_only
        ),
        "variable reading by msgspec (records_reader, the one used)": await median_batch_ms(
            world, rng, "p-msgspec", msgspec_read
        ),
        "variable coercion by RecordsCoercer (its fallback)": await median_batch_ms(
            world, rng, "p-fast", fast_coerce
        ),
        "variable coercion by graphql-core (the last resort)": await median_batch_ms(
            world, rng, "p-coerce", coerce
        ),
    }
    await median_batch_ms(world, rng, "p-convert", convert)
    figures["Strawberry convert_arguments of graphql-core's dicts (msgspec's pass)"] = (
        statistics.median(convert_ms)
    )
    resolver_ms = await median_batch_ms(world, rng, "phase-resolver", resolver)
    print(f"[{name}] where one batch of {BATCH:,} records goes (median of {PHASE_BATCHES}):")
    print(f"  HTTP round trip (sequential run, median)              {http_batch_ms:8.1f} ms")
    print(f"  in-process build_context + schema.execute             {total:8.1f} ms")
    print(
        f"  -> HTTP/ASGI/uvicorn/client overhead (difference)      {http_batch_ms - total:8.1f} ms"
    )
    for label, ms in figures.items():
        print(f"    {label:<58}{ms:8.1f} ms")
    print(f"    resolver record_requests (phases below)               {resolver_ms:8.1f} ms")
    for phase, samples in phases.items():
        print(f"      {phase:<56}{statistics.median(samples):8.1f} ms")
    graphql_rest = total - resolver_ms - figures["build_context (authenticate the API token)"]
    print(
        f"    -> Strawberry/graphql-core layer (execute - context - resolver) "
        f"{graphql_rest:6.1f} ms"
    )

    records = make_records(rng, world, "cprofile", BATCH, datetime.now(UTC))
    profiler = cProfile.Profile()
    profiler.enable()
    await execute(records)
    profiler.disable()
    for sort, lines in (("cumulative", 35), ("tottime", 25)):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort).print_stats(lines)
        text = out.getvalue()
        print(f"[{name}] cProfile of one in-process schema.execute, by {sort}:")
        print(text[text.find("   ncalls") :].rstrip())
