"""Request aggregates kept exact on ingest, per project and 15-minute UTC bucket, and per
project and UTC day.

Every UTC offset in use is a multiple of 15 minutes, so 15-minute buckets add up exactly
into any zone's hours, days, weeks and months. A UTC day adds up into any local bucket that
holds it whole (a UTC week or month, a Kolkata week bar the day holding its Monday): long
ranges read one daily row where they would read up to 96 quarter-hour ones, and per-user
quarter hours are nearly empty. Dimension keys use 0 for "none" (a request without an
assistant, token or user) because SQL unique constraints treat NULLs as distinct.

- ``UsageRollup`` keeps every filter dimension except the user: project dashboards.
- ``UserUsageRollup`` adds the user: per-user activity, and any filter naming users.
- ``UsageDailyRollup`` and ``UserUsageDailyRollup``: the same per UTC day
  (``bucket_start`` is the day's midnight UTC).
"""

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

# The unique keys of the rollups: a row per bucket and combination of dimension values.
USAGE_KEY = ("project_id", "bucket_start", "assistant_key", "model_id", "api_token_key", "status")
USER_USAGE_KEY = (
    "project_id", "bucket_start", "user_key", "assistant_key", "model_id", "api_token_key",
    "status",
)  # fmt: skip


class Rollup(Model):
    """The columns both rollups share: their keys but the user, and the sums."""

    id = fields.BigIntField(primary_key=True)
    project_id = fields.IntField()
    bucket_start = fields.DatetimeField()
    assistant_key = fields.IntField()
    model_id = fields.IntField()
    api_token_key = fields.IntField()
    status = fields.CharField(max_length=8)
    requests = fields.BigIntField()
    errors = fields.BigIntField()
    cost_nanos = fields.BigIntField()
    duration_ms = fields.BigIntField()
    input_tokens = fields.BigIntField()
    output_tokens = fields.BigIntField()

    class Meta:
        abstract = True


class UsageRollup(Rollup):
    class Meta:
        table = "usage_rollups"
        unique_together = (USAGE_KEY,)


class UserUsageRollup(Rollup):
    user_key = fields.IntField()

    class Meta:
        table = "user_usage_rollups"
        unique_together = (USER_USAGE_KEY,)
        indexes = (Index(fields=("project_id", "user_key", "bucket_start")),)


class UsageDailyRollup(Rollup):
    """UsageRollup summed per UTC day."""

    class Meta:
        table = "usage_daily_rollups"
        unique_together = (USAGE_KEY,)


class UserUsageDailyRollup(Rollup):
    """UserUsageRollup summed per UTC day."""

    user_key = fields.IntField()

    class Meta:
        table = "user_usage_daily_rollups"
        unique_together = (USER_USAGE_KEY,)
        indexes = (Index(fields=("project_id", "user_key", "bucket_start")),)


class DataVersion(Model):
    """Bumped in every transaction that changes a project's requests: cached dashboard
    figures are keyed by it, so no replica serves figures older than a committed write."""

    # Written only with explicit ids (raw SQL upserts). Declared generated, as migration 0003
    # made the column: Tortoise's migration writer drops ``generated=False``, so declaring it
    # had every makemigrations propose the same spurious change again.
    project_id = fields.IntField(primary_key=True)
    version = fields.BigIntField(default=0)

    class Meta:
        table = "project_data_versions"
