"""The ``comptroller`` command: schema set-up, users, serving, the demo, the exported SDL."""

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from tortoise import Tortoise

from comptroller.database import migrate_database, tortoise_config
from comptroller.settings import REPOSITORY_ROOT, Settings, get_settings
from kernel.errors import AppError

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
err = Console(stderr=True)
SCHEMA_FILE = REPOSITORY_ROOT / "schema.graphql"


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as error:
        for problem in error.errors():
            field = ".".join(str(part) for part in problem["loc"])
            err.print(f"[red]COMPTROLLER_{field.upper()}: {problem['msg']}[/red]")
        raise typer.Exit(2) from error


@app.command("init-db")
def init_db() -> None:
    """Create the schema, or migrate it to the latest version. Safe to run twice."""
    settings = _settings()
    asyncio.run(migrate_database(settings.database_url))
    print(f"Database ready: {_redacted(settings.database_url)}")


@app.command("create-user")
def create_user_command(
    email: Annotated[str, typer.Option(help="The user's email, unique on the platform.")],
    name: Annotated[str, typer.Option(help="The user's display name.")],
    superuser: Annotated[bool, typer.Option("--superuser", help="A platform operator.")] = False,
) -> None:
    """Create a user; the last line printed is their new personal access token."""
    from resolvers.arguments import clean_email, clean_name
    from resolvers.governance.users import create_user

    settings = _settings()

    async def run() -> str:
        await Tortoise.init(config=tortoise_config(settings.database_url))
        try:
            created = await create_user(
                actor_id=None,
                email=clean_email(email, "--email"),
                name=clean_name(name, "--name"),
                is_superuser=superuser,
                email_argument="--email",
            )
        finally:
            await Tortoise.close_connections()
        return created.access_token

    try:
        token = asyncio.run(run())
    except AppError as error:
        err.print(f"[red]{error.message}[/red]")
        raise typer.Exit(2) from error
    print(f"Created {email}{' (superuser)' if superuser else ''}. Personal access token:")
    print(token)


@app.command()
def purge(
    batch_size: Annotated[
        int, typer.Option(min=100, max=100_000, help="Requests deleted per transaction.")
    ] = 5000,
) -> None:
    """Delete requests older than each project's retentionDays (nothing where it is null),
    in batches that keep the dashboards' rollups exact. Safe while the API serves."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from resolvers.retention import purge_expired

    settings = _settings()

    async def run() -> None:
        await Tortoise.init(config=tortoise_config(settings.database_url))
        try:
            with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err) as bar:
                task = bar.add_task("purging", total=None)
                done = 0

                def advance(project_id: int, deleted: int) -> None:
                    nonlocal done
                    done += deleted
                    bar.update(task, description=f"project {project_id}: {done:,} deleted")

                reports = await purge_expired(batch_size=batch_size, on_batch=advance)
        finally:
            await Tortoise.close_connections()
        for report in reports:
            print(
                f"project {report.project_id}: deleted {report.deleted:,} requests "
                f"created before {report.cutoff.isoformat()}"
            )
        if not reports:
            print("No project has a retention period; nothing to purge.")

    asyncio.run(run())


@app.command("import-requests")
def import_requests(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="JSON Lines of RequestRecordInput objects.",
        ),
    ],
    project: Annotated[int, typer.Option(min=1, help="The project to import into.")],
    batch_size: Annotated[
        int, typer.Option(min=1, max=1000, help="Records per transaction.")
    ] = 1000,
) -> None:
    """Backfill requests from JSON Lines with the API's reading, validation and idempotency;
    prints accepted, duplicates, and each rejected line with its number and the API's reason."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    from models import Project
    from resolvers.ingestion.backfill import import_records
    from schema import build_schema
    from schema.records_json import JsonRecordsReader

    settings = _settings()
    with file.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    # Each line read as the API reads a record, so both accept and refuse alike.
    reader = JsonRecordsReader(build_schema()._schema)

    async def run() -> None:
        await Tortoise.init(config=tortoise_config(settings.database_url))
        try:
            if not await Project.exists(id=project):
                err.print(f"[red]No project with id {project}.[/red]")
                raise typer.Exit(2)
            columns = (TextColumn("importing"), BarColumn(), TaskProgressColumn())
            with Progress(*columns, console=err) as bar:
                task = bar.add_task("import", total=lines)
                summary = await import_records(
                    project,
                    file,
                    reader.read_line,
                    batch_size=batch_size,
                    on_progress=lambda n: bar.advance(task, n),
                )
        finally:
            await Tortoise.close_connections()
        print(f"accepted: {summary.accepted}")
        print(f"duplicates: {summary.duplicates}")
        print(f"rejected: {len(summary.rejected)}")
        for number, why in summary.rejected:
            print(f"  line {number}: {why}")
        if summary.rejected:
            raise typer.Exit(1)

    asyncio.run(run())


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    migrate: Annotated[
        bool, typer.Option("--migrate", help="Migrate the schema first (as init-db does).")
    ] = False,
) -> None:
    """Serve the GraphQL API (GraphiQL at GET /graphql). Refuses a database whose schema is
    behind this version unless --migrate is given; an unreachable database is waited for."""
    import uvicorn

    from comptroller.observability import logging_config

    # The workers read it: budget alerts are never POSTed to the service itself.
    os.environ["COMPTROLLER_SERVE_PORT"] = str(port)
    get_settings.cache_clear()
    settings = _settings()
    if migrate:
        asyncio.run(migrate_database(settings.database_url))
    else:
        _refuse_an_old_schema(settings)
    _share_metrics_between_workers()
    uvicorn.run(
        "comptroller.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=logging_config(settings.log_level, settings.log_format),
        proxy_headers=True,
    )


def _share_metrics_between_workers() -> None:
    """prometheus_client's multiprocess mode: every worker writes its values under one
    directory (fresh for this server unless the operator names one), read at each scrape."""
    import atexit
    import shutil
    import tempfile

    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        directory = tempfile.mkdtemp(prefix="comptroller-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        atexit.register(shutil.rmtree, directory, ignore_errors=True)


def _refuse_an_old_schema(settings: Settings) -> None:
    from comptroller.startup_checks import schema_state

    async def state() -> tuple[bool, tuple[str, ...]]:
        await Tortoise.init(config=tortoise_config(settings.database_url))
        try:
            found = await schema_state(settings.database_url)
        finally:
            await Tortoise.close_connections()
        return found.reachable, found.pending

    reachable, pending = asyncio.run(state())
    if not reachable:
        err.print(
            f"[yellow]Database {_redacted(settings.database_url)} unreachable: serving anyway; "
            "/readyz answers 503 until it answers and its schema is current.[/yellow]"
        )
    elif pending:
        from comptroller.startup_checks import behind_message

        err.print(f"[red]{behind_message(pending)}[/red]")
        raise typer.Exit(2)


@app.command()
def demo(
    database: Annotated[Path, typer.Option(help="The SQLite file to create afresh.")] = Path(
        "comptroller-demo.db"
    ),
    requests: Annotated[
        int, typer.Option(min=1000, max=5_000_000, help="Requests to generate.")
    ] = 120_000,
    seed: Annotated[int, typer.Option(help="Random seed, for the same data every time.")] = 7,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve when loaded.")
    ] = True,
) -> None:
    """Build a fresh SQLite database with realistic demo data, print tokens, serve GraphiQL."""
    from comptroller.demo import load_demo

    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    url = f"sqlite://{database}"
    os.environ["COMPTROLLER_DATABASE_URL"] = url
    os.environ["COMPTROLLER_CACHE_URL"] = "memory://"
    get_settings.cache_clear()
    _settings()
    asyncio.run(migrate_database(url))
    tokens = asyncio.run(load_demo(url, request_count=requests, seed=seed))
    _print_demo_tokens(tokens, host, port)
    if serve_after:
        serve(host=host, port=port, workers=1)


def _print_demo_tokens(tokens: dict[str, str], host: str, port: int) -> None:
    console = Console()
    console.rule("Comptroller demo")
    console.print(f"Dashboard: http://{host}:{port}/ — sign in with a token below (no Bearer).")
    console.print(f"GraphiQL: http://{host}:{port}/graphql — paste a header into its Headers tab:")
    for role, token in tokens.items():
        console.print(f"\n[bold]{role}[/bold]")
        print(f'{{"Authorization": "Bearer {token}"}}')
    console.print("\nExample queries (the administrator's and member's project has id 1):")
    print(
        "{ viewer { email } projects { edges { node { id name viewerRoles "
        "assistants { name status model { name } } } } } }"
    )
    today = datetime.now(UTC).date()
    start = (today - timedelta(days=30)).isoformat()
    print(
        f'{{ project(id: "1") {{ usage(range: {{from: "{start}T00:00:00Z", '
        f'to: "{today.isoformat()}T00:00:00Z"}}) {{ totalCost totalRequests errorRate '
        "byAssistant { name costShare } timeline { start totalCost } } } }"
    )
    console.rule()


@app.command("export-schema")
def export_schema(
    output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = SCHEMA_FILE,
) -> None:
    """Write the GraphQL schema (SDL) that clients are written against."""
    from schema import build_schema

    output.write_text(build_schema().as_str() + "\n")
    print(f"Wrote {output}")


def _redacted(url: str) -> str:
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.split('@', 1)[1]}"


def main() -> None:
    app()
