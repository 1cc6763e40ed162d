"""Gateway ingestion over HTTP: ``POST /v1/traces`` (OTLP spans, protobuf or with
``--encoding json`` OTLP JSON) against ``POST /v1/requests`` (plain JSON) for the same
records, in the same run, on a real ``comptroller serve``; optionally with the table already
holding ``--preload`` rows of the project.

    .venv/bin/python -m bench.gateways [--backend sqlite|postgres|both] [--records 20000]
        [--preload 0] [--encoding protobuf|json]

The records are the ingestion benchmark's (``bench.ingestion_data``); each is also written as
the GenAI span an instrumentation library would send for it (model, agent and user by name,
tokens, cost, prompt and answer, error). The routes take turns batch by batch (1,000 records
or spans a request), so neither meets an emptier table; bodies are encoded before the clock
starts. Prints records/s per route and the ratio OTLP / JSON (the target is >= 0.8), with
the median of the turns' ratios (what a burst of other work on the machine moves least),
then checks that every record sent is stored (exit 1 if not).
"""

import argparse
import asyncio
import base64
import hashlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from tortoise import Tortoise

from bench.ingestion_data import BATCH, HISTORY, World, batches, body_of, make_records, make_world
from bench.ingestion_data import raw_rows as rows_for_raw_project
from bench.ingestion_server import count_stored, database, measure_raw_insert
from comptroller.database import tortoise_config
from tests.support.backends import Backend, serving

TARGET_RATIO = 0.8
PROTOBUF = "protobuf"
MEDIA_TYPES = {PROTOBUF: "application/x-protobuf", "json": "application/json"}
NANOS = 1_000_000_000


def attribute(key: str, value: object) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def span_of(sent: dict[str, Any], world: World) -> Span:
    """The GenAI ``chat`` span a gateway's instrumentation emits for one record."""
    models = {str(m.id): m.name for m in world.models}
    assistants = {str(a.id): a.name for a in world.assistants}
    users = {str(u.id): u.email for u in world.users}
    start = datetime.fromisoformat(sent["createdAt"]).astimezone(UTC)
    start_ns = int(start.timestamp()) * NANOS + start.microsecond * 1000
    digest = hashlib.sha256(sent["externalId"].encode()).digest()
    values: dict[str, object] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": models[sent["modelId"]],
        "gen_ai.usage.input_tokens": sent["inputTokens"],
        "gen_ai.usage.output_tokens": sent["outputTokens"],
    }
    if "assistantId" in sent:
        values["gen_ai.agent.name"] = assistants[sent["assistantId"]]
    if "userId" in sent:
        values["user.id"] = users[sent["userId"]]
    if sent.get("cost") is not None:
        values["gen_ai.usage.cost"] = float(sent["cost"])
    if sent.get("input"):
        values["gen_ai.input.messages"] = sent["input"]
    if sent.get("output"):
        values["gen_ai.output.messages"] = sent["output"]
    failed = sent["status"] == "ERROR"
    if failed:
        values["error.type"] = "ProviderError"
    return Span(
        trace_id=digest[:16],
        span_id=digest[16:24],
        name=f"chat {values['gen_ai.request.model']}",
        kind=Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=start_ns,
        end_time_unix_nano=start_ns + sent["durationMs"] * 1_000_000,
        attributes=[attribute(key, value) for key, value in values.items()],
        status=Status(
            code=Status.STATUS_CODE_ERROR if failed else Status.STATUS_CODE_OK,
            message=sent.get("errorMessage") or "",
        ),
    )


def otlp_body(batch: Sequence[dict[str, Any]], world: World, encoding: str = PROTOBUF) -> bytes:
    """The export of ``batch``'s spans in protobuf, or in OTLP JSON as the SDK's JSON
    exporter writes it (hex ids, int64 as text, enums as numbers)."""
    export = ExportTraceServiceRequest()
    resource_spans = export.resource_spans.add()
    resource_spans.resource.attributes.append(attribute("service.name", "gateway"))
    resource_spans.scope_spans.add().spans.extend(span_of(sent, world) for sent in batch)
    if encoding == PROTOBUF:
        return export.SerializeToString()
    document = json_format.MessageToDict(export, use_integers_for_enums=True)
    for scope_spans in document["resourceSpans"][0]["scopeSpans"]:
        for span in scope_spans["spans"]:
            for key in ("traceId", "spanId"):
                span[key] = base64.b64decode(span[key]).hex()
    return orjson.dumps(document)


async def post_turns(
    backend: Backend,
    world: World,
    json_bodies: list[bytes],
    otlp_bodies: list[bytes],
    encoding: str = PROTOBUF,
) -> dict[str, list[float]]:
    """Send the batches in turns, JSON then OTLP; the seconds each batch took, per route."""
    seconds: dict[str, list[float]] = {"json": [], "otlp": []}
    auth = {"authorization": f"Bearer {world.secret}"}
    async with httpx.AsyncClient(base_url=backend.server_url, timeout=120) as client:
        for json_body, otlp in zip(json_bodies, otlp_bodies, strict=True):
            start = time.perf_counter()
            reply = await client.post(
                "/v1/requests",
                content=json_body,
                headers=auth | {"content-type": "application/json"},
            )
            seconds["json"].append(time.perf_counter() - start)
            if reply.status_code != 200:
                raise RuntimeError(f"/v1/requests: {reply.status_code} {reply.text[:500]}")
            start = time.perf_counter()
            reply = await client.post(
                "/v1/traces",
                content=otlp,
                headers=auth | {"content-type": MEDIA_TYPES[encoding]},
            )
            seconds["otlp"].append(time.perf_counter() - start)
            answer = ExportTraceServiceResponse()
            if encoding == PROTOBUF:
                answer.ParseFromString(reply.content)
            else:
                json_format.Parse(reply.content, answer)
            if reply.status_code != 200 or answer.partial_success.rejected_spans:
                raise RuntimeError(f"/v1/traces: {reply.status_code} {answer}")
    return seconds


def pair_ratio(seconds: dict[str, list[float]]) -> float:
    """The median over the turns of JSON's seconds / OTLP's: on a machine that others share,
    a burst of their work slows one turn, not the whole figure."""
    return statistics.median(
        json / otlp for json, otlp in zip(seconds["json"], seconds["otlp"], strict=True)
    )


async def preload(url: str, sqlite_path: Path | None, world: World, count: int) -> float:
    """``count`` rows in the measured project's ``requests``, by bulk insert (not in its
    rollups: the figure is the requests table's growth); rows/s."""
    rng = random.Random(7)
    rows: list[tuple[object, ...]] = []
    now = datetime.now(UTC)
    for chunk_start in range(0, count, 50_000):
        records = make_records(
            rng, world, f"pre{chunk_start}", min(50_000, count - chunk_start), now
        )
        for row in rows_for_raw_project(world, records, sqlite_path is not None):
            rows.append((world.project.id, *row[1:]))
    seconds = (await measure_raw_insert(url, sqlite_path, rows, 100_000)).seconds
    return count / seconds


async def measure(name: str, records: int, preloaded: int, encoding: str) -> bool:
    rng = random.Random(20_261_201)
    with tempfile.TemporaryDirectory(prefix="bench-gateways-") as temp:
        folder = Path(temp)
        async with (
            database(name, folder) as (url, cache_url, sqlite_path),
            serving(name, url, cache_url, folder) as backend,
        ):
            await Tortoise.init(config=tortoise_config(url))
            try:
                world = await make_world()
                if preloaded:
                    rate = await preload(url, sqlite_path, world, preloaded)
                    print(f"[{name}] preloaded {preloaded:,} rows ({rate:,.0f} rows/s)")
                now = datetime.now(UTC)
                # The same records for both routes, under two sets of ids.
                seed = rng.random()
                made = {
                    route: make_records(random.Random(seed), world, route, records, now, HISTORY)
                    for route in ("json", "otlp")
                }
                json_bodies = [body_of(chunk, "json") for chunk in batches(made["json"])]
                otlp_bodies = [otlp_body(chunk, world, encoding) for chunk in batches(made["otlp"])]
                # Warm both routes (imports, caches, prepared statements) on a small batch.
                warm = make_records(rng, world, "warm", 2 * BATCH, now)
                await post_turns(
                    backend,
                    world,
                    [body_of(warm[:BATCH], "json")],
                    [otlp_body(warm[BATCH:], world, encoding)],
                    encoding,
                )
                seconds = await post_turns(backend, world, json_bodies, otlp_bodies, encoding)
                stored, rolled_up = await count_stored(world.project.id)
            finally:
                await Tortoise.close_connections()
    expected = 2 * records + 2 * BATCH + preloaded
    json_rate, otlp_rate = records / sum(seconds["json"]), records / sum(seconds["otlp"])
    ratio = otlp_rate / json_rate
    print(
        f"[{name}] {records:,} records a route in batches of {BATCH:,}, table from "
        f"{preloaded:,} rows: POST /v1/requests {json_rate:,.0f} records/s, POST /v1/traces "
        f"({encoding}) "
        f"{otlp_rate:,.0f} spans/s, ratio {ratio:.2f} (target >= {TARGET_RATIO}); "
        f"median of the {len(seconds['json'])} turns' ratios {pair_ratio(seconds):.2f}"
    )
    ok = stored == expected and rolled_up == expected - preloaded
    print(
        f"[{name}] check: {stored:,} rows for {expected:,} expected, rollups count "
        f"{rolled_up:,}: " + ("OK" if ok else "FAILED")
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--preload", type=int, default=0)
    parser.add_argument("--encoding", choices=list(MEDIA_TYPES), default=PROTOBUF)
    options = parser.parse_args()
    names = ["sqlite", "postgres"] if options.backend == "both" else [options.backend]
    # Every backend runs, even after one fails its check.
    results = [
        asyncio.run(measure(name, options.records, options.preload, options.encoding))
        for name in names
    ]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
