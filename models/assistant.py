"""The AI assistants (agents) a project runs."""

from tortoise import fields
from tortoise.models import Model

from models.ai_model import AiModel
from models.enums import AssistantStatus
from models.project import Project


class Assistant(Model):
    id = fields.IntField(primary_key=True)
    project: fields.ForeignKeyRelation[Project] = fields.ForeignKeyField(
        "models.Project", related_name="assistants", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    description = fields.TextField(null=True)
    status = fields.CharEnumField(AssistantStatus, max_length=16, default=AssistantStatus.ACTIVE)
    model: fields.ForeignKeyNullableRelation[AiModel] = fields.ForeignKeyField(
        "models.AiModel", related_name="assistants", null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    project_id: int
    model_id: int | None

    class Meta:
        table = "assistants"
        ordering = ["name", "id"]
