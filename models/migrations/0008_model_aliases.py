# Other names of a model, as gateways report it (provider-qualified, dated): issue 12.
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("models", "0007_governance")]

    initial = False

    operations = [
        ops.CreateModel(
            name="AiModelAlias",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("model", fields.ForeignKeyField("models.AiModel", source_field="model_id", db_constraint=True, to_field="id", related_name="aliases", on_delete=OnDelete.CASCADE)),
                ("alias", fields.CharField(unique=True, max_length=200)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "ai_model_aliases", "app": "models", "pk_attr": "id", "table_description": "Another name a gateway reports a model by."},
            bases=["Model"],
        ),
    ]
