"""Request aggregates kept exact on ingest, per project and quarter hour (15 minutes, aligned
in UTC), hour and UTC day; the sums every row keeps are ``RollupSums``.

Every UTC offset in use is a multiple of 15 minutes, so quarter hours add up exactly into
any zone's hours, days, weeks and months (a dashboard's buckets). A UTC day adds up into any
dashboard bucket that holds it whole (a UTC week or month, a Kolkata week bar the day
holding its Monday): long ranges read one daily row where they would read up to 96
quarter-hour ones, and per-user quarter hours are nearly empty. Dimension keys use 0 for
"none" (a request without an assistant, token or user) because SQL unique constraints treat
NULLs as distinct.

- ``UsageRollup`` keeps every filter dimension except the user: project dashboards.
- ``UserUsageRollup`` adds the user: per-user activity by assistant or model, and any filter
  naming users.
- ``UsageDailyRollup`` and ``UserUsageDailyRollup``: the same per UTC day;
  ``UsageHourlyRollup`` the first per UTC hour (hourly timelines, days cut near noon).
- ``UserHourlyRollup`` and ``UserDailyRollup`` keep the user alone, per UTC hour and day: the
  per-user totals and distinct users per bucket. Without the other dimensions a row sums all
  of a user's requests of its hour or day, so they stay small however few requests share a
  user and a quarter hour (at 150k requests in 30 days: 6k daily rows where the per-user
  daily rollup has 51k, 53k hourly where its quarter hours have 133k).

The ``bucket_start`` column holds a row's quarter hour, hour, or its day's midnight UTC.
"""

import msgspec
from msgspec.structs import astuple
from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class RollupSums(msgspec.Struct, array_like=True, gc=False):
    """What a rollup row sums over its requests: the one list of the sums.

    Everything else derives from these fields, in this order: the BIGINT columns of every
    rollup table (``Rollup``), the upserts and the aggregates' ``SUM(...)`` lists
    (``resolvers/rollups.py``), the dashboards' accumulators and their cached encoding
    (a JSON array, ``array_like``), the benchmarks' bulk loader. Mutable, to accumulate in
    place: never add to one that a cache or another caller also holds.
    """

    requests: int = 0
    errors: int = 0
    cost_nanos: int = 0
    duration_ms: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def add(self, other: "RollupSums") -> None:
        """Add ``other``'s sums to these."""
        for column, value in zip(SUM_COLUMNS, astuple(other), strict=True):
            setattr(self, column, getattr(self, column) + value)

    def negated(self) -> "RollupSums":
        return RollupSums(*(-value for value in astuple(self)))


# The sums' column names, in the order of RollupSums' fields (and of every SQL list of them).
SUM_COLUMNS: tuple[str, ...] = RollupSums.__struct_fields__

# The unique keys of the rollups: a row per quarter hour (or day) and combination of
# dimension values.
USAGE_KEY = ("project_id", "bucket_start", "assistant_key", "model_id", "api_token_key", "status")
USER_USAGE_KEY = (
    "project_id", "bucket_start", "user_key", "assistant_key", "model_id", "api_token_key",
    "status",
)  # fmt: skip
USER_KEY = ("project_id", "bucket_start", "user_key")


class Sums(Model):
    """The columns every rollup shares: the project, the bucket, and the sums."""

    id = fields.BigIntField(primary_key=True)
    project_id = fields.IntField()
    bucket_start = fields.DatetimeField()
    # A BIGINT column per sum, as RollupSums names and orders them. Tortoise reads a model's
    # fields from its class namespace, which ``vars()`` is in a class body.
    vars().update({column: fields.BigIntField() for column in SUM_COLUMNS})

    class Meta:
        abstract = True


class Rollup(Sums):
    """The columns the rollups of every dimension share: their keys but the user."""

    assistant_key = fields.IntField()
    model_id = fields.IntField()
    api_token_key = fields.IntField()
    status = fields.CharField(max_length=8)

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


class UsageHourlyRollup(Rollup):
    """UsageRollup summed per UTC hour."""

    class Meta:
        table = "usage_hourly_rollups"
        unique_together = (USAGE_KEY,)


class UserHourlyRollup(Sums):
    """Each user's requests per UTC hour, whatever the other dimensions."""

    user_key = fields.IntField()

    class Meta:
        table = "user_hourly_rollups"
        unique_together = (USER_KEY,)


class UserDailyRollup(Sums):
    """Each user's requests per UTC day, whatever the other dimensions."""

    user_key = fields.IntField()

    class Meta:
        table = "user_daily_rollups"
        unique_together = (USER_KEY,)


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
