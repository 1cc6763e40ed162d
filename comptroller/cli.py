"""The ``comptroller`` command: schema set-up, users, serving, the demo, the exported SDL."""

import asyncio
import os
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from tortoise import Tortoise

from comptroller.database import migrate_database, tortoise_config
from comptroller.errors import AppError
from comptroller.settings import REPOSITORY_ROOT, Settings, get_settings

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
    from resolvers.users import create_user

    settings = _settings()

    async def run() -> str:
        await Tortoise.init(config=tortoise_config(settings.database_url))
        try:
            created = await create_user(
                actor_id=None,
                email=clean_email(email, "--email"),
                name=clean_name(name, "--name"),
                is_superuser=superuser,
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
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the GraphQL API (GraphiQL at GET /graphql)."""
    import uvicorn

    _settings()
    uvicorn.run(
        "comptroller.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=True,
    )


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
    from comptroller.demo_data import load_demo

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
    console.print(f"GraphiQL: http://{host}:{port}/graphql — paste a header into its Headers tab:")
    for role, token in tokens.items():
        console.print(f"\n[bold]{role}[/bold]")
        print(f'{{"Authorization": "Bearer {token}"}}')
    console.print("\nExample query:")
    print(
        "{ viewer { email } projects { edges { node { id name viewerRoles "
        "assistants { name status model { name } } } } } }"
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
