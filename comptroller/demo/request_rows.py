"""One demo request as a row of the requests table: who sent it, to which model, at what cost."""

import random
from datetime import UTC, datetime
from typing import Any

from comptroller.demo.failures import Incident, pick_error
from comptroller.demo.world import LiveAssistant, LiveModel, LiveProject
from models import RequestStatus

WITHOUT_ASSISTANT_RATE = 0.06  # direct API calls, e.g. scripts and evaluations
WITHOUT_USER_RATE = 0.08  # batch jobs that act for nobody in particular
MAX_INPUT_TOKENS = 128_000  # the context window of most of the models
MAX_OUTPUT_TOKENS = 4_096  # the usual max_tokens cap
OFF_MODEL_RATE = 0.08  # the gateway sometimes routes an assistant to another model (A/B tests)


def make_request(
    rng: random.Random,
    project: LiveProject,
    moment: float,
    incidents: list[Incident],
    now: float,
    number: int,
) -> list[Any]:
    """One row, in ``models.request.REQUEST_COLUMNS`` order."""
    assistant = pick_assistant(rng, project, moment)
    model = pick_model(rng, project, assistant)
    error = pick_error(rng, model, moment, incidents)
    input_tokens, output_tokens = draw_token_counts(rng, assistant)
    if error is None:
        duration = model.latency_ms * rng.lognormvariate(0, 0.35)
        duration += output_tokens * model.ms_per_token * rng.lognormvariate(0, 0.2)
    else:
        output_tokens = 0
        input_tokens = input_tokens if error.billed_input else 0
        duration = rng.uniform(error.min_ms, error.max_ms)
    # Integer nano-USD, rounded half up, as recording a request computes it.
    cost = (
        input_tokens * model.input_price + output_tokens * model.output_price + 500_000
    ) // 1_000_000
    text_in, text_out = pick_texts(rng, project, error is None)
    return [
        project.id,
        f"demo-{number}",
        as_stored_datetime(moment),
        # The gateway reports in batches, seconds later.
        as_stored_datetime(min(moment + rng.uniform(0.2, 20.0), now)),
        RequestStatus.SUCCESS.value if error is None else RequestStatus.ERROR.value,
        int(duration),
        assistant.id if assistant else None,
        model.id,
        pick_token(rng, project, moment),
        None if rng.random() < WITHOUT_USER_RATE else pick_user(rng, project),
        input_tokens,
        output_tokens,
        cost,
        model.input_price,
        model.output_price,
        text_in,
        text_out,
        error.message if error else None,
    ]


def pick_assistant(rng: random.Random, project: LiveProject, moment: float) -> LiveAssistant | None:
    if rng.random() < WITHOUT_ASSISTANT_RATE:
        return None
    [assistant] = rng.choices(project.assistants, cum_weights=project.assistant_weights)
    if assistant.inactive_from is not None and moment >= assistant.inactive_from:
        # Once it was switched off, its traffic went to the assistants still running.
        [assistant] = rng.choices(
            project.active_assistants, cum_weights=project.active_assistant_weights
        )
    return assistant


def pick_model(
    rng: random.Random, project: LiveProject, assistant: LiveAssistant | None
) -> LiveModel:
    if assistant is not None and assistant.model is not None and rng.random() >= OFF_MODEL_RATE:
        return assistant.model
    return rng.choice(project.models)


def draw_token_counts(rng: random.Random, assistant: LiveAssistant | None) -> tuple[int, int]:
    """Log-normal around the assistant's typical sizes: most requests small, a long tail."""
    if assistant is None:  # ad-hoc calls, of every size
        log_input, log_output, spread = 7.0, 5.5, 0.9
    else:
        log_input, log_output, spread = assistant.log_input_median, assistant.log_output_median, 0.6
    return (
        min(max(1, int(rng.lognormvariate(log_input, spread))), MAX_INPUT_TOKENS),
        min(max(1, int(rng.lognormvariate(log_output, spread + 0.1))), MAX_OUTPUT_TOKENS),
    )


def pick_texts(
    rng: random.Random, project: LiveProject, succeeded: bool
) -> tuple[str | None, str | None]:
    # A project that does not store content has none, exactly as recording would drop it.
    if not project.spec.store_request_content or not project.spec.exchanges:
        return None, None
    text_in, text_out = rng.choice(project.spec.exchanges)
    return text_in, text_out if succeeded else None


def pick_user(rng: random.Random, project: LiveProject) -> int:
    [user_id] = rng.choices(project.user_ids, cum_weights=project.user_weights)
    return user_id


def pick_token(rng: random.Random, project: LiveProject, moment: float) -> int:
    """One of the project's tokens that was valid at ``moment``."""
    valid = [
        token
        for token in project.tokens
        if token.created <= moment and (token.ends is None or moment < token.ends)
    ]
    if not valid:  # the specs leave no gap; this only guards against editing them
        return project.tokens[0].id
    [token] = rng.choices(valid, weights=[token.weight for token in valid])
    return token.id


def as_stored_datetime(moment: float) -> str:
    """The text Tortoise stores for an aware DatetimeField on SQLite (``isoformat(" ")``)."""
    return datetime.fromtimestamp(moment, UTC).isoformat(" ")
