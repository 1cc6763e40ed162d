"""The one typed settings object, read from ``COMPTROLLER_*`` variables and ``.env``."""

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent

DATABASE_SCHEMES = {"sqlite", "postgres", "postgresql", "asyncpg"}
CACHE_SCHEMES = {"memory", "redis"}


class Settings(BaseSettings):
    """Everything the service reads from its environment; bad values fail at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="COMPTROLLER_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str = "sqlite://./comptroller.db"
    cache_url: str = "memory://"
    policy_path: Path = REPOSITORY_ROOT / "policy.polar"
    # Where `npm ci --prefix web` put GraphiQL's, React's and Chart.js's packages.
    browser_packages_dir: Path = REPOSITORY_ROOT / "web" / "node_modules"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_query_depth: int = Field(default=10, ge=2, le=50)
    max_query_tokens: int = Field(default=5000, ge=100, le=100_000)
    max_query_aliases: int = Field(default=30, ge=1, le=1000)
    max_query_cost: int = Field(default=25_000, ge=100, le=10_000_000)
    cache_max_entries: int = Field(default=5_000, ge=100, le=10_000_000)
    cache_namespace: str = Field(default="comptroller", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    # Hardening (docs: README "Limits and production posture"). Bodies of POST /graphql:
    # Apollo Router's and GitHub's order of magnitude; ingestion has its own, larger limit.
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, le=1024**3)
    # Items in one list argument (UsageFilter.assistantIds, allowedModelIds, ...). Dashboards
    # filter by a few thousand users at most, and are built to read such lists well.
    max_list_length: int = Field(default=5000, ge=1, le=100_000)
    operation_timeout_seconds: float = Field(default=10.0, gt=0, le=3600)
    # Points per window for a person or an API client: a query costs 1 + cost // 1000.
    rate_limit_points: int = Field(default=5000, ge=0, le=10**9)  # 0 switches limits off
    rate_limit_window_seconds: int = Field(default=3600, ge=1, le=86_400)
    # Records per window for one API token recording requests (either ingestion route).
    ingestion_rate_limit_records: int = Field(default=1_000_000, ge=0, le=10**12)
    graphiql: bool = True
    introspection: bool = True
    cors_origins: tuple[str, ...] = ()  # JSON list, e.g. ["https://dashboards.example.com"]
    # Where pages may load scripts and styles from, for the Content-Security-Policy: the app
    # serves GraphiQL's and the dashboard's assets itself, so nothing but 'self' by default.
    graphiql_asset_sources: str = "'self'"
    log_format: Literal["text", "json"] = "text"
    # comptroller serve purges expired requests this often (one replica at a time); 0: never,
    # leaving it to `comptroller purge` run by a scheduler.
    retention_interval_seconds: int = Field(default=3600, ge=0, le=7 * 86_400)
    # How often serve looks for budget alerts due, and the first retry's delay (doubling up
    # to an hour, for 24 hours); 0: serve sends none.
    webhook_poll_seconds: float = Field(default=2.0, ge=0, le=3600)
    webhook_retry_base_seconds: float = Field(default=30.0, ge=0.1, le=3600)
    webhook_timeout_seconds: float = Field(default=5.0, ge=0.5, le=30)
    # The port `comptroller serve` listens on (set by serve for its workers): alerts are never
    # sent to the service itself.
    serve_port: int | None = Field(default=None, ge=1, le=65535)
    # Hosts alerts may reach although they are (or resolve to) private, loopback or reserved
    # addresses, e.g. ["hooks.internal", "10.0.0.7"]; JSON list. Any other internal address is
    # refused, so a project administrator cannot make the service probe its network.
    webhook_allowed_hosts: frozenset[str] = frozenset()

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in DATABASE_SCHEMES:
            raise ValueError(
                f"scheme {scheme!r} is not supported; use sqlite://PATH or "
                "postgres://user:pass@host:5432/db"
            )
        return value

    @field_validator("cache_url")
    @classmethod
    def _known_cache(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in CACHE_SCHEMES:
            raise ValueError(
                f"scheme {scheme!r} is not supported; use memory:// or redis://host:6379/0"
            )
        return value

    @field_validator("policy_path")
    @classmethod
    def _policy_exists(cls, value: Path) -> Path:
        if not value.is_file():
            raise ValueError(f"no policy file at {value}")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
