"""The contract's enums: the models' own, registered with Strawberry under their names, each
value described (the models stay free of GraphQL)."""

from enum import Enum

import strawberry

from models.enums import AssistantStatus, ProjectRole, RequestStatus


def described_enum(cls: type[Enum], name: str, description: str, values: dict[str, str]) -> None:
    """Registers ``cls`` as the GraphQL enum ``name``, with a description for every value."""
    strawberry.enum(cls, name=name, description=description)
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    if {value.name for value in definition.values} != set(values):
        raise ValueError(
            f"{name}: describe exactly its values {[v.name for v in definition.values]}"
        )
    for value in definition.values:
        value.description = values[value.name]


described_enum(
    ProjectRole,
    "ProjectRole",
    "A role in one project; a user may hold several. What each allows is in policy.polar.",
    {
        "PROJECT_ADMIN": "Everything a member may, plus members, settings, per-user analytics "
        "(userActivity) and the audit log.",
        "PROJECT_MEMBER": "The backoffice: assistants, requests with their content, usage "
        "dashboards, API tokens.",
        "ASSISTANT_USER": "The frontend (Access all Project Assistants): the project and its "
        "active assistants only.",
    },
)
described_enum(
    RequestStatus,
    "RequestStatus",
    "How an assistant request ended.",
    {
        "SUCCESS": "The model answered.",
        "ERROR": "The call failed; errorMessage says why. Errors count in every total.",
    },
)
described_enum(
    AssistantStatus,
    "AssistantStatus",
    "Whether an assistant is offered to users.",
    {
        "ACTIVE": "Offered: ASSISTANT_USER sees it and the gateway may call it.",
        "INACTIVE": "Withdrawn: only members see it; admission refuses calls to it.",
    },
)

__all__ = ["AssistantStatus", "ProjectRole", "RequestStatus", "described_enum"]
