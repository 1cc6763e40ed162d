"""Schemathesis against the live endpoint, as each kind of caller (issue 13): no answer is a
5xx, and every error carries a contract code. A few examples per operation here; many in
``bench/fuzz.py``."""

import asyncio

import pytest

from models import ProjectRole
from tests.support.backends import Backend
from tests.support.factories import (
    grant,
    make_api_token,
    make_assistant,
    make_model,
    make_project,
    make_user,
)
from tests.support.fuzzing import fuzz

EXAMPLES_PER_OPERATION = 3


@pytest.mark.parametrize(
    "caller", ["PROJECT_ADMIN", "PROJECT_MEMBER", "ASSISTANT_USER", "API_TOKEN"]
)
async def test_generated_operations_get_no_5xx_and_only_coded_errors(
    backend: Backend, caller: str
) -> None:
    project = await make_project()
    await make_assistant(project, model=await make_model())
    if caller == "API_TOKEN":
        _, token = await make_api_token(project)
    else:
        user, token = await make_user()
        await grant(user, project, ProjectRole(caller))
    report = await asyncio.to_thread(fuzz, backend.server_url, token, EXAMPLES_PER_OPERATION)
    assert report.calls >= 10 * EXAMPLES_PER_OPERATION
    assert report.failures == []
    assert max(report.statuses) < 500
