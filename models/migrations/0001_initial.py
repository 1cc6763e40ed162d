from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.enums import AssistantStatus, RequestStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='AiModel',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=200)),
                ('provider', fields.CharField(max_length=100)),
                ('input_price_per_million_nanos', fields.BigIntField()),
                ('output_price_per_million_nanos', fields.BigIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'ai_models', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A model a gateway may call, priced in nano-USD per million tokens so that sums stay exact.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Project',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('description', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'projects', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Assistant',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('project', fields.ForeignKeyField('models.Project', source_field='project_id', db_constraint=True, to_field='id', related_name='assistants', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('description', fields.TextField(null=True, unique=False)),
                ('status', fields.CharEnumField(default=AssistantStatus.ACTIVE, description='ACTIVE: ACTIVE\nINACTIVE: INACTIVE', enum_type=AssistantStatus, max_length=16)),
                ('model', fields.ForeignKeyField('models.AiModel', source_field='model_id', null=True, db_constraint=True, to_field='id', related_name='assistants', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'assistants', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProjectSettings',
            fields=[
                ('project', fields.OneToOneField('models.Project', source_field='project_id', primary_key=True, db_index=True, db_constraint=True, to_field='id', related_name='settings', on_delete=OnDelete.CASCADE)),
                ('timezone', fields.CharField(default='UTC', max_length=64)),
                ('monthly_budget_nanos', fields.BigIntField(null=True)),
                ('budget_alert_thresholds', fields.JSONField(default=[50, 80, 100], encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('enforce_budget', fields.BooleanField(default=False)),
                ('allowed_model_ids', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('store_request_content', fields.BooleanField(default=True)),
                ('retention_days', fields.IntField(null=True)),
                ('api_token_max_lifetime_days', fields.IntField(null=True)),
            ],
            options={'table': 'project_settings', 'app': 'models', 'pk_attr': 'project_id', 'table_description': 'Security and cost settings, one row per project, created with it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('name', fields.CharField(max_length=200)),
                ('is_superuser', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'users', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('project', fields.ForeignKeyField('models.Project', source_field='project_id', db_constraint=True, to_field='id', related_name='api_tokens', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('prefix', fields.CharField(max_length=16)),
                ('secret_hash', fields.CharField(unique=True, max_length=64)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='created_api_tokens', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_tokens', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A project API token, stored as the SHA-256 of its secret, named to people by its prefix.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('project', fields.ForeignKeyField('models.Project', source_field='project_id', null=True, db_constraint=True, to_field='id', related_name='audit_events', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='audit_events', on_delete=OnDelete.SET_NULL)),
                ('action', fields.CharField(max_length=64)),
                ('target', fields.CharField(max_length=200)),
                ('details', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_events', 'app': 'models', 'indexes': [Index(fields=['project_id', 'at', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Membership',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('project', fields.ForeignKeyField('models.Project', source_field='project_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('roles', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'memberships', 'app': 'models', 'unique_together': (('project', 'user'),), 'pk_attr': 'id', 'table_description': "A user's roles in one project, kept only while it holds at least one role."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PersonalAccessToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='access_tokens', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('prefix', fields.CharField(max_length=16)),
                ('secret_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'personal_access_tokens', 'app': 'models', 'pk_attr': 'id', 'table_description': "A user's bearer token, of which only the SHA-256 of the secret is kept."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Request',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('project', fields.ForeignKeyField('models.Project', source_field='project_id', db_constraint=True, to_field='id', related_name='requests', on_delete=OnDelete.CASCADE)),
                ('external_id', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('status', fields.CharEnumField(description='SUCCESS: SUCCESS\nERROR: ERROR', enum_type=RequestStatus, max_length=8)),
                ('duration_ms', fields.IntField()),
                ('assistant', fields.ForeignKeyField('models.Assistant', source_field='assistant_id', null=True, db_constraint=True, to_field='id', related_name='requests', on_delete=OnDelete.SET_NULL)),
                ('model', fields.ForeignKeyField('models.AiModel', source_field='model_id', db_constraint=True, to_field='id', related_name='requests', on_delete=OnDelete.RESTRICT)),
                ('api_token', fields.ForeignKeyField('models.ApiToken', source_field='api_token_id', null=True, db_constraint=True, to_field='id', related_name='requests', on_delete=OnDelete.SET_NULL)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='requests', on_delete=OnDelete.SET_NULL)),
                ('input_tokens', fields.IntField()),
                ('output_tokens', fields.IntField()),
                ('cost_nanos', fields.BigIntField()),
                ('input_price_per_million_nanos', fields.BigIntField(null=True)),
                ('output_price_per_million_nanos', fields.BigIntField(null=True)),
                ('input', fields.TextField(null=True, unique=False)),
                ('output', fields.TextField(null=True, unique=False)),
                ('error_message', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'requests', 'app': 'models', 'unique_together': (('project', 'external_id'),), 'indexes': [Index(fields=['project_id', 'created_at', 'id']), Index(fields=['project_id', 'assistant_id', 'created_at', 'id']), Index(fields=['project_id', 'model_id', 'created_at', 'id']), Index(fields=['project_id', 'api_token_id', 'created_at', 'id']), Index(fields=['project_id', 'user_id', 'created_at', 'id']), Index(fields=['project_id', 'status', 'created_at', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
