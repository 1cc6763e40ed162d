from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# The references of requests lose their foreign-key constraints: ingestion checks every id
# first, nothing deletes what they name, and on PostgreSQL the checks were ~45% of the time
# of a 1,000-row insert (see models/request.py). SQLite keeps its constraints: their checks
# cost nothing measurable there, and dropping one means rebuilding the table (Tortoise's
# AlterField does that and loses the table's indexes, the unique one included).

REFERENCES = ("project_id", "assistant_id", "model_id", "api_token_id", "user_id")


class StateOnlyAlterField(ops.AlterField):
    """The field as the models now declare it; the database is changed by drop_foreign_keys
    (Tortoise's AlterField leaves PostgreSQL's constraints in place)."""

    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def database_backward(self, *args: Any, **kwargs: Any) -> None:
        return None


async def drop_foreign_keys(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "postgres":
        return
    for column in REFERENCES:
        await client.execute_script(
            f'ALTER TABLE requests DROP CONSTRAINT IF EXISTS "requests_{column}_fkey"'
        )


async def restore_foreign_keys(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "postgres":
        return
    targets = {
        "project_id": ("projects", "CASCADE"),
        "assistant_id": ("assistants", "SET NULL"),
        "model_id": ("ai_models", "RESTRICT"),
        "api_token_id": ("api_tokens", "SET NULL"),
        "user_id": ("users", "SET NULL"),
    }
    for column, (table, on_delete) in targets.items():
        await client.execute_script(
            f'ALTER TABLE requests ADD CONSTRAINT "requests_{column}_fkey" FOREIGN KEY '
            f'("{column}") REFERENCES "{table}" ("id") ON DELETE {on_delete}'
        )


class Migration(migrations.Migration):
    dependencies = [('models', '0003_data_versions')]

    initial = False

    operations = [
        ops.RunPython(drop_foreign_keys, restore_foreign_keys),
        StateOnlyAlterField(
            model_name='Request',
            name='api_token',
            field=fields.ForeignKeyField('models.ApiToken', source_field='api_token_id', null=True, db_constraint=False, to_field='id', related_name='requests', on_delete=OnDelete.NO_ACTION),
        ),
        StateOnlyAlterField(
            model_name='Request',
            name='assistant',
            field=fields.ForeignKeyField('models.Assistant', source_field='assistant_id', null=True, db_constraint=False, to_field='id', related_name='requests', on_delete=OnDelete.NO_ACTION),
        ),
        StateOnlyAlterField(
            model_name='Request',
            name='model',
            field=fields.ForeignKeyField('models.AiModel', source_field='model_id', db_constraint=False, to_field='id', related_name='requests', on_delete=OnDelete.NO_ACTION),
        ),
        StateOnlyAlterField(
            model_name='Request',
            name='project',
            field=fields.ForeignKeyField('models.Project', source_field='project_id', db_constraint=False, to_field='id', related_name='requests', on_delete=OnDelete.NO_ACTION),
        ),
        StateOnlyAlterField(
            model_name='Request',
            name='user',
            field=fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=False, to_field='id', related_name='requests', on_delete=OnDelete.NO_ACTION),
        ),
    ]
