"""The root Mutation, merged from one type per concern."""

from strawberry.tools import merge_types

from schema.mutations.api_tokens import ApiTokenMutation
from schema.mutations.assistants import AssistantMutation
from schema.mutations.ingestion import IngestionMutation
from schema.mutations.members import MemberMutation
from schema.mutations.platform import PlatformMutation
from schema.mutations.settings import SettingsMutation

Mutation = merge_types(
    "Mutation",
    (
        PlatformMutation,
        MemberMutation,
        AssistantMutation,
        ApiTokenMutation,
        SettingsMutation,
        IngestionMutation,
    ),
)
