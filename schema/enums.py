"""The contract's enums: the models' own, registered with Strawberry under their names."""

import strawberry

from models.enums import AssistantStatus, ProjectRole, RequestStatus

strawberry.enum(ProjectRole, name="ProjectRole")
strawberry.enum(RequestStatus, name="RequestStatus")
strawberry.enum(AssistantStatus, name="AssistantStatus")

__all__ = ["AssistantStatus", "ProjectRole", "RequestStatus"]
