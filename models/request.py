"""Assistant requests as reported by the gateway: the one table that grows without bound.

Every index leads with ``project_id`` so the table can be distributed by project (Citus)
and every query for one project reads one shard; ``created_at`` comes next so that a
month-partitioned table prunes to the partitions a range touches.

The references (project, assistant, model, API token, user) carry no foreign-key constraint:
ingestion checks every id of a batch against the project before it inserts (see
``resolvers.ingestion``), and nothing deletes what a request refers to (projects, models and
users are never deleted, assistants are deactivated, tokens revoked). On PostgreSQL the
constraints' checks were ~45% of the time of a 1,000-row insert, and re-checked what was
just checked. A feature that deletes one of them must clear or keep the ids it leaves here.
"""

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.ai_model import AiModel
from models.api_token import ApiToken
from models.assistant import Assistant
from models.enums import RequestStatus
from models.project import Project
from models.user import User


class Request(Model):
    id = fields.BigIntField(primary_key=True)
    project: fields.ForeignKeyRelation[Project] = fields.ForeignKeyField(
        "models.Project",
        related_name="requests",
        on_delete=fields.NO_ACTION,
        db_index=False,
        db_constraint=False,
    )
    external_id = fields.CharField(max_length=200)
    created_at = fields.DatetimeField()
    recorded_at = fields.DatetimeField(auto_now_add=True)
    status = fields.CharEnumField(RequestStatus, max_length=8)
    duration_ms = fields.IntField()
    assistant: fields.ForeignKeyNullableRelation[Assistant] = fields.ForeignKeyField(
        "models.Assistant",
        related_name="requests",
        null=True,
        on_delete=fields.NO_ACTION,
        db_index=False,
        db_constraint=False,
    )
    model: fields.ForeignKeyRelation[AiModel] = fields.ForeignKeyField(
        "models.AiModel",
        related_name="requests",
        on_delete=fields.NO_ACTION,
        db_index=False,
        db_constraint=False,
    )
    api_token: fields.ForeignKeyNullableRelation[ApiToken] = fields.ForeignKeyField(
        "models.ApiToken",
        related_name="requests",
        null=True,
        on_delete=fields.NO_ACTION,
        db_index=False,
        db_constraint=False,
    )
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User",
        related_name="requests",
        null=True,
        on_delete=fields.NO_ACTION,
        db_index=False,
        db_constraint=False,
    )
    input_tokens = fields.IntField()
    output_tokens = fields.IntField()
    # Money in nano-USD: integers sum exactly; the prices used are kept so that a later
    # price change never rewrites history.
    cost_nanos = fields.BigIntField()
    input_price_per_million_nanos = fields.BigIntField(null=True)
    output_price_per_million_nanos = fields.BigIntField(null=True)
    input = fields.TextField(null=True)
    output = fields.TextField(null=True)
    error_message = fields.TextField(null=True)

    project_id: int
    assistant_id: int | None
    model_id: int
    api_token_id: int | None
    user_id: int | None

    class Meta:
        table = "requests"
        unique_together = (("project", "external_id"),)
        # The request log reads newest first, optionally narrowed by one dimension.
        indexes = (
            Index(fields=("project_id", "created_at", "id")),
            Index(fields=("project_id", "assistant_id", "created_at", "id")),
            Index(fields=("project_id", "model_id", "created_at", "id")),
            Index(fields=("project_id", "api_token_id", "created_at", "id")),
            Index(fields=("project_id", "user_id", "created_at", "id")),
            Index(fields=("project_id", "status", "created_at", "id")),
        )


# What recording a request writes, every column but the id, in the table's order, with its SQL
# type (PostgreSQL binds each column of a batch as one typed array). The one list of them: the
# resolvers' COPY and INSERT, the demo's loader and the benchmarks' loaders all read it, and
# ``tests/test_request_columns.py`` holds it to the model.
REQUEST_COLUMN_TYPES = {
    "project_id": "int",
    "external_id": "varchar",
    "created_at": "timestamptz",
    "recorded_at": "timestamptz",
    "status": "varchar",
    "duration_ms": "int",
    "assistant_id": "int",
    "model_id": "int",
    "api_token_id": "int",
    "user_id": "int",
    "input_tokens": "int",
    "output_tokens": "int",
    "cost_nanos": "bigint",
    "input_price_per_million_nanos": "bigint",
    "output_price_per_million_nanos": "bigint",
    "input": "text",
    "output": "text",
    "error_message": "text",
}
REQUEST_COLUMNS = tuple(REQUEST_COLUMN_TYPES)
