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
