# Per-user rollups without the other dimensions, per UTC hour and day, and the rollups of
# every dimension but the user per UTC hour (issue 14): the per-user totals and distinct users
# per bucket, hourly timelines and days cut near noon read them. They start out complete,
# summed from the rollups already stored.
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

SUMS = "requests, errors, cost_nanos, duration_ms, input_tokens, output_tokens"
SUMMED = ", ".join(f"SUM({column})" for column in SUMS.split(", "))
KEYS = "assistant_key, model_id, api_token_key, status"


async def fill_hourly_and_user_rollups(apps, schema_editor):
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        hour = "date_bin('60 minutes', bucket_start, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
    else:
        # SQLite keeps UTC instants as text, 'YYYY-MM-DD HH:MM:SS+00:00'.
        hour = "substr(bucket_start, 1, 13) || ':00:00+00:00'"
    for table, source, start, keys in (
        ("user_hourly_rollups", "user_usage_rollups", hour, "user_key"),
        ("user_daily_rollups", "user_usage_daily_rollups", "bucket_start", "user_key"),
        ("usage_hourly_rollups", "usage_rollups", hour, KEYS),
    ):
        await client.execute_script(
            f"INSERT INTO {table} (project_id, bucket_start, {keys}, {SUMS}) "
            f"SELECT project_id, {start}, {keys}, {SUMMED} FROM {source} "
            f"GROUP BY project_id, {start}, {keys}"
        )


def _sums():
    return [
        (column, fields.BigIntField())
        for column in ("requests", "errors", "cost_nanos", "duration_ms", "input_tokens",
                       "output_tokens")
    ]


class Migration(migrations.Migration):
    dependencies = [("models", "0008_model_aliases")]

    initial = False

    operations = [
        ops.CreateModel(
            name="UserHourlyRollup",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("project_id", fields.IntField()),
                ("bucket_start", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                *_sums(),
                ("user_key", fields.IntField()),
            ],
            options={"table": "user_hourly_rollups", "app": "models", "unique_together": (("project_id", "bucket_start", "user_key"),), "pk_attr": "id", "table_description": "Each user's requests per UTC hour, whatever the other dimensions."},
            bases=["Sums"],
        ),
        ops.CreateModel(
            name="UserDailyRollup",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("project_id", fields.IntField()),
                ("bucket_start", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                *_sums(),
                ("user_key", fields.IntField()),
            ],
            options={"table": "user_daily_rollups", "app": "models", "unique_together": (("project_id", "bucket_start", "user_key"),), "pk_attr": "id", "table_description": "Each user's requests per UTC day, whatever the other dimensions."},
            bases=["Sums"],
        ),
        ops.CreateModel(
            name="UsageHourlyRollup",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("project_id", fields.IntField()),
                ("bucket_start", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                *_sums(),
                ("assistant_key", fields.IntField()),
                ("model_id", fields.IntField()),
                ("api_token_key", fields.IntField()),
                ("status", fields.CharField(max_length=8)),
            ],
            options={"table": "usage_hourly_rollups", "app": "models", "unique_together": (("project_id", "bucket_start", "assistant_key", "model_id", "api_token_key", "status"),), "pk_attr": "id", "table_description": "UsageRollup summed per UTC hour."},
            bases=["Rollup"],
        ),
        ops.RunPython(fill_hourly_and_user_rollups, ops.RunPython.noop),
    ]
