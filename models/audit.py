"""The audit trail of governance changes."""

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.project import Project
from models.user import User


class AuditEvent(Model):
    id = fields.BigIntField(primary_key=True)
    project: fields.ForeignKeyNullableRelation[Project] = fields.ForeignKeyField(
        "models.Project", related_name="audit_events", null=True, on_delete=fields.CASCADE
    )
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="audit_events", null=True, on_delete=fields.SET_NULL
    )
    action = fields.CharField(max_length=64)
    target = fields.CharField(max_length=200)
    details: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    at = fields.DatetimeField(auto_now_add=True)

    project_id: int | None
    actor_id: int | None

    class Meta:
        table = "audit_events"
        # The audit log pages newest first within a project.
        indexes = (Index(fields=("project_id", "at", "id")),)
