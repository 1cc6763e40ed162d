from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_rollups')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DataVersion',
            fields=[
                ('project_id', fields.IntField(primary_key=True, unique=True, db_index=True)),
                ('version', fields.BigIntField(default=0)),
            ],
            options={'table': 'project_data_versions', 'app': 'models', 'pk_attr': 'project_id', 'table_description': "Bumped in every transaction that changes a project's requests: cached dashboard"},
            bases=['Model'],
        ),
    ]
