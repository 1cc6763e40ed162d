"""The contract's enums, backed by the values the models store."""

import strawberry

from models.enums import AssistantStatus as AssistantStatusValue
from models.enums import ProjectRole as ProjectRoleValue
from models.enums import RequestStatus as RequestStatusValue

ProjectRole = strawberry.enum(ProjectRoleValue, name="ProjectRole")
RequestStatus = strawberry.enum(RequestStatusValue, name="RequestStatus")
AssistantStatus = strawberry.enum(AssistantStatusValue, name="AssistantStatus")
