"""The catalog of AI models and their list prices."""

from tortoise import fields
from tortoise.models import Model


class AiModel(Model):
    """A model a gateway may call, priced in nano-USD per million tokens so that sums stay exact."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    provider = fields.CharField(max_length=100)
    input_price_per_million_nanos = fields.BigIntField()
    output_price_per_million_nanos = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ai_models"
        ordering = ["name"]


class AiModelAlias(Model):
    """Another name a gateway reports a model by.

    Provider-qualified or dated (``openai/gpt-4o``, ``gpt-4o-2024-08-06``); a name belongs to
    one model, alias or not. (The first line is the table's comment, as migration 0008 wrote.)"""

    id = fields.IntField(primary_key=True)
    model: fields.ForeignKeyRelation[AiModel] = fields.ForeignKeyField(
        "models.AiModel", related_name="aliases", on_delete=fields.CASCADE
    )
    alias = fields.CharField(max_length=200, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    model_id: int

    class Meta:
        table = "ai_model_aliases"
        ordering = ["alias"]
