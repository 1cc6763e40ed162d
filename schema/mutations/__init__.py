"""The root Mutation, merged from one type per concern."""

import strawberry

from schema.mutations.api_tokens import ApiTokenMutation
from schema.mutations.assistants import AssistantMutation
from schema.mutations.ingestion import IngestionMutation
from schema.mutations.members import MemberMutation
from schema.mutations.platform import PlatformMutation
from schema.mutations.settings import SettingsMutation


@strawberry.type(
    name="Mutation",
    description="Changes: each says which role may make it; a refused change changes nothing.",
)
class Mutation(
    PlatformMutation,
    MemberMutation,
    AssistantMutation,
    ApiTokenMutation,
    SettingsMutation,
    IngestionMutation,
):
    """Every concern's mutations, as strawberry.tools.merge_types would merge them."""
