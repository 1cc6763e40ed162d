"""Project API tokens: how a gateway or other API client authenticates."""

from tortoise import fields
from tortoise.models import Model

from models.project import Project
from models.user import User


class ApiToken(Model):
    """A project API token, stored as the SHA-256 of its secret, named to people by its prefix."""

    id = fields.IntField(primary_key=True)
    project: fields.ForeignKeyRelation[Project] = fields.ForeignKeyField(
        "models.Project", related_name="api_tokens", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    prefix = fields.CharField(max_length=16)
    secret_hash = fields.CharField(max_length=64, unique=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="created_api_tokens", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)

    project_id: int
    created_by_id: int | None

    class Meta:
        table = "api_tokens"
        ordering = ["-created_at", "-id"]
