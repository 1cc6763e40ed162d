from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='UsageRollup',
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
            options={'table': 'usage_rollups', 'app': 'models', 'unique_together': (('project_id', 'bucket_start', 'assistant_key', 'model_id', 'api_token_key', 'status'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UserUsageRollup',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('project_id', fields.IntField()),
                ('bucket_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('user_key', fields.IntField()),
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
            options={'table': 'user_usage_rollups', 'app': 'models', 'unique_together': (('project_id', 'bucket_start', 'user_key', 'assistant_key', 'model_id', 'api_token_key', 'status'),), 'indexes': [Index(fields=['project_id', 'user_key', 'bucket_start'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='ProjectSettings',
            options={'table': 'project_settings', 'app': 'models', 'pk_attr': 'project_id', 'table_description': 'Security and cost settings, one row per project, created with it.'},
        ),
    ]
