"""The outbox of budget alerts and the attempts made to deliver each."""

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.project import Project


class WebhookDelivery(Model):
    """One alert to POST, written in the transaction of the change it reports."""

    id = fields.BigIntField(primary_key=True)
    project: fields.ForeignKeyRelation[Project] = fields.ForeignKeyField(
        "models.Project", related_name="webhook_deliveries", on_delete=fields.CASCADE
    )
    event = fields.CharField(max_length=64)
    url = fields.CharField(max_length=2000)
    payload: fields.Field[dict[str, Any]] = fields.JSONField()
    status = fields.CharField(max_length=16, default="PENDING")  # PENDING DELIVERED FAILED
    attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    next_attempt_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)

    project_id: int

    class Meta:
        table = "webhook_deliveries"
        # The sender's scan: pending deliveries due first.
        indexes = (Index(fields=("status", "next_attempt_at")),)


class WebhookAttempt(Model):
    """One POST of a delivery: the receiver's status code, or why there was none."""

    id = fields.BigIntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[WebhookDelivery] = fields.ForeignKeyField(
        "models.WebhookDelivery", related_name="attempt_rows", on_delete=fields.CASCADE
    )
    at = fields.DatetimeField()
    status_code = fields.IntField(null=True)
    error = fields.CharField(max_length=500, null=True)
    duration_ms = fields.IntField()

    delivery_id: int

    class Meta:
        table = "webhook_attempts"
        ordering = ["id"]
