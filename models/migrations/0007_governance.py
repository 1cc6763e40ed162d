# Budget threshold crossings (once per project, month and threshold), the outbox of budget
# alerts with each delivery attempt, and the alert webhook's settings.
from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_daily_rollups')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BudgetThresholdCrossing',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('project', fields.ForeignKeyField('models.Project', source_field='project_id', db_constraint=True, to_field='id', related_name='threshold_crossings', on_delete=OnDelete.CASCADE)),
                ('month', fields.CharField(max_length=7)),
                ('threshold', fields.FloatField()),
                ('spent_nanos', fields.BigIntField()),
                ('budget_nanos', fields.BigIntField()),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'budget_threshold_crossings', 'app': 'models', 'unique_together': (('project', 'month', 'threshold'),), 'pk_attr': 'id', 'table_description': "The first time a month's spend reached a threshold of the budget."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('project', fields.ForeignKeyField('models.Project', source_field='project_id', db_constraint=True, to_field='id', related_name='webhook_deliveries', on_delete=OnDelete.CASCADE)),
                ('event', fields.CharField(max_length=64)),
                ('url', fields.CharField(max_length=2000)),
                ('payload', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('status', fields.CharField(default='PENDING', max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_deliveries', 'app': 'models', 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One alert to POST, written in the transaction of the change it reports.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('delivery', fields.ForeignKeyField('models.WebhookDelivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='attempt_rows', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status_code', fields.IntField(null=True)),
                ('error', fields.CharField(null=True, max_length=500)),
                ('duration_ms', fields.IntField()),
            ],
            options={'table': 'webhook_attempts', 'app': 'models', 'pk_attr': 'id', 'table_description': "One POST of a delivery: the receiver's status code, or why there was none."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ProjectSettings',
            name='alert_webhook_secret',
            field=fields.CharField(null=True, max_length=100),
        ),
        ops.AddField(
            model_name='ProjectSettings',
            name='alert_webhook_url',
            field=fields.CharField(null=True, max_length=2000),
        ),
    ]
