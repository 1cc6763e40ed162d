"""Budget thresholds reached: one row per project, budget month and threshold, ever."""

from tortoise import fields
from tortoise.models import Model

from models.project import Project


class BudgetThresholdCrossing(Model):
    """The first time a month's spend reached a threshold of the budget.

    The unique key is what makes the crossing recorded (and alerted) once, however many
    batches cross it together: the ingest transaction inserts it and only the one whose
    insert lands writes the audit event and the webhook delivery.
    """

    id = fields.BigIntField(primary_key=True)
    project: fields.ForeignKeyRelation[Project] = fields.ForeignKeyField(
        "models.Project", related_name="threshold_crossings", on_delete=fields.CASCADE
    )
    month = fields.CharField(max_length=7)  # YYYY-MM in the project's time zone
    threshold = fields.FloatField()  # percent of the budget
    spent_nanos = fields.BigIntField()
    budget_nanos = fields.BigIntField()
    at = fields.DatetimeField(auto_now_add=True)

    project_id: int

    class Meta:
        table = "budget_threshold_crossings"
        unique_together = (("project", "month", "threshold"),)
