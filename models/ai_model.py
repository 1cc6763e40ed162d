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
