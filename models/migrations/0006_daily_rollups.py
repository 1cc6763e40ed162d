from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

# Sums of the 15-minute rollups already stored, per UTC day: after this migration the
# dashboards read whole days from the daily tables, so they must hold all history at once.
SUMS = "requests, errors, cost_nanos, duration_ms, input_tokens, output_tokens"
SUMMED = ", ".join(f"SUM({column})" for column in SUMS.split(", "))
KEYS = "assistant_key, model_id, api_token_key, status"
TIERS = (
    ("usage_daily_rollups", "usage_rollups", KEYS),
    ("user_usage_daily_rollups", "user_usage_rollups", f"user_key, {KEYS}"),
)


async def fill_daily_rollups(apps, schema_editor):
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        day = "date_bin('1 day', bucket_start, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
    else:
        # SQLite keeps UTC instants as text, 'YYYY-MM-DD HH:MM:SS+00:00'.
        day = "substr(bucket_start, 1, 10) || ' 00:00:00+00:00'"
    for daily, quarters, keys in TIERS:
        await client.execute_script(
            f"INSERT INTO {daily} (project_id, bucket_start, {keys}, {SUMS}) "
            f"SELECT project_id, {day}, {keys}, {SUMMED} FROM {quarters} "
            f"GROUP BY project_id, {day}, {keys}"
        )

class Migration(migrations.Migration):
    dependencies = [('models', '0005_requests_without_foreign_keys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='UsageDailyRollup',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('project_id', fields.IntField()),
                ('bucket_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('assistant_key', fields.IntField()),
                ('model_id', fields.IntField()),
                ('api_token_key', fields.IntField()),
                ('status', fields.CharField(max_length=8)),
                ('requests', fields.BigIntField()),
                ('errors', fields.BigIntField()),
                ('cost_nanos', fields.BigIntField()),
                ('duration_ms', fields.BigIntField()),
                ('input_tokens', fields.BigIntField()),
                ('output_tokens', fields.BigIntField()),
            ],
            options={'table': 'usage_daily_rollups', 'app': 'models', 'unique_together': (('project_id', 'bucket_start', 'assistant_key', 'model_id', 'api_token_key', 'status'),), 'pk_attr': 'id', 'table_description': 'UsageRollup summed per UTC day.'},
            bases=['Rollup'],
        ),
        ops.CreateModel(
            name='UserUsageDailyRollup',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('project_id', fields.IntField()),
                ('bucket_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('assistant_key', fields.IntField()),
                ('model_id', fields.IntField()),
                ('api_token_key', fields.IntField()),
                ('status', fields.CharField(max_length=8)),
                ('requests', fields.BigIntField()),
                ('errors', fields.BigIntField()),
                ('cost_nanos', fields.BigIntField()),
                ('duration_ms', fields.BigIntField()),
                ('input_tokens', fields.BigIntField()),
                ('output_tokens', fields.BigIntField()),
                ('user_key', fields.IntField()),
            ],
            options={'table': 'user_usage_daily_rollups', 'app': 'models', 'unique_together': (('project_id', 'bucket_start', 'user_key', 'assistant_key', 'model_id', 'api_token_key', 'status'),), 'indexes': [Index(fields=['project_id', 'user_key', 'bucket_start'])], 'pk_attr': 'id', 'table_description': 'UserUsageRollup summed per UTC day.'},
            bases=['Rollup'],
        ),
        ops.RunPython(fill_daily_rollups, ops.RunPython.noop),
    ]
