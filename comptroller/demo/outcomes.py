"""What depends on the traffic, recorded after it: tokens' last use, and budgets."""

import math
from datetime import UTC, datetime, timedelta

from comptroller.demo.audit import record_audit_event
from comptroller.demo.traffic import Tally
from comptroller.demo.world import World
from models import ApiToken, ProjectSettings


async def record_outcomes(world: World, tally: Tally) -> None:
    """What depends on the traffic: tokens' last use, and budgets sized to the spend."""
    for token_id, moment in tally.token_last_used.items():
        last_used = datetime.fromtimestamp(moment, UTC)
        await ApiToken.filter(id=token_id).update(last_used_at=last_used)
    for project in world.projects:
        if project.spec.budget_factor is None:
            continue
        budget = round_budget(tally.recent_spend[project.id] * project.spec.budget_factor)
        await ProjectSettings.filter(project_id=project.id).update(monthly_budget_nanos=budget)
        details = {"monthlyBudget": budget / 1_000_000_000}
        await record_audit_event(
            project.admin_id,
            project.id,
            "settings.update",
            f"project:{project.id}",
            details,
            world.now - timedelta(days=29),
        )


def round_budget(nanos: float) -> int:
    """Two significant digits of dollars, as a person would set it; at least $10."""
    dollars = max(nanos / 1e9, 10.0)
    step = 10 ** (math.floor(math.log10(dollars)) - 1)  # dollars >= 10, so step >= 1
    return int(round(dollars / step) * step * 1_000_000_000)
