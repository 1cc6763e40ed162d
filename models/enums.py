"""Enumerations stored in the database and exposed by the schema."""

from enum import Enum


class ProjectRole(str, Enum):
    PROJECT_ADMIN = "PROJECT_ADMIN"
    PROJECT_MEMBER = "PROJECT_MEMBER"
    ASSISTANT_USER = "ASSISTANT_USER"


class RequestStatus(str, Enum):
    SUCCESS = "SUCCESS"
    ERROR = "ERROR"


class AssistantStatus(str, Enum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
