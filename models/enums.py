"""Enumerations stored in the database and exposed by the schema."""

from enum import StrEnum


class ProjectRole(StrEnum):
    PROJECT_ADMIN = "PROJECT_ADMIN"
    PROJECT_MEMBER = "PROJECT_MEMBER"
    ASSISTANT_USER = "ASSISTANT_USER"


class RequestStatus(StrEnum):
    SUCCESS = "SUCCESS"
    ERROR = "ERROR"


class AssistantStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
