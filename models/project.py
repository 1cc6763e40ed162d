"""Projects, their settings and who holds which roles in them."""

from tortoise import fields
from tortoise.models import Model

from models.user import User


class Project(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    description = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "projects"
        ordering = ["name", "id"]


class ProjectSettings(Model):
    """Security and cost settings, one row per project, created with it.

    Money is kept in nano-USD (integers) so that comparisons with summed spend are exact.
    """

    project: fields.OneToOneRelation[Project] = fields.OneToOneField(
        "models.Project", related_name="settings", on_delete=fields.CASCADE, primary_key=True
    )
    timezone = fields.CharField(max_length=64, default="UTC")
    monthly_budget_nanos = fields.BigIntField(null=True)
    budget_alert_thresholds: fields.Field[list[float]] = fields.JSONField(default=[50, 80, 100])
    enforce_budget = fields.BooleanField(default=False)
    allowed_model_ids: fields.Field[list[int] | None] = fields.JSONField(null=True)
    store_request_content = fields.BooleanField(default=True)
    retention_days = fields.IntField(null=True)
    api_token_max_lifetime_days = fields.IntField(null=True)
    # Where threshold crossings are POSTed, and the HMAC-SHA256 key that signs them: a
    # secret the service must read back to sign, so kept as it is, never shown after it
    # is set and never written to the audit trail.
    alert_webhook_url = fields.CharField(max_length=2000, null=True)
    alert_webhook_secret = fields.CharField(max_length=100, null=True)

    project_id: int

    class Meta:
        table = "project_settings"


class Membership(Model):
    """A user's roles in one project, kept only while it holds at least one role."""

    id = fields.IntField(primary_key=True)
    project: fields.ForeignKeyRelation[Project] = fields.ForeignKeyField(
        "models.Project", related_name="memberships", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="memberships", on_delete=fields.CASCADE
    )
    roles: fields.Field[list[str]] = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)

    project_id: int
    user_id: int

    class Meta:
        table = "memberships"
        unique_together = (("project", "user"),)
