"""Operator mutations: projects, users and models (superuser only), and one's own tokens."""

from datetime import datetime
from typing import Annotated

import strawberry

from resolvers.arguments import (
    MAX_PRICE_PER_MILLION_USD,
    aware_instant,
    clean_description,
    clean_email,
    clean_name,
    parse_id,
    usd_to_nanos,
)
from resolvers.governance.ai_models import create_model, set_model_aliases
from resolvers.governance.projects import create_project
from resolvers.governance.users import create_personal_access_token, create_user
from schema.ai_model import Model
from schema.context import Info
from schema.permissions import platform
from schema.project import Project
from schema.user import User


@strawberry.input(description="A new project (superuser).")
class CreateProjectInput:
    name: str = strawberry.field(description="1..200 characters.")
    description: str | None = strawberry.field(
        default=None, description="Up to 5,000 characters; null = none."
    )


@strawberry.input(description="A new user (superuser).")
class CreateUserInput:
    email: str = strawberry.field(description="Their email address; unique, stored lower-cased.")
    name: str = strawberry.field(description="Their display name, 1..200 characters.")
    is_superuser: bool | None = strawberry.field(
        default=False, description="Whether they operate the platform."
    )


@strawberry.input(description="A new model in the catalog (superuser).")
class CreateModelInput:
    name: str = strawberry.field(description="Its name, 1..200 characters; unique.")
    provider: str = strawberry.field(description="Who serves it, e.g. openai.")
    input_price_per_million: float = strawberry.field(
        description="USD per million input tokens, 0..100,000."
    )
    output_price_per_million: float = strawberry.field(
        description="USD per million output tokens, 0..100,000."
    )
    aliases: list[str] | None = strawberry.field(
        default=None, description="Other names gateways report it by (see Model.aliases)."
    )


def clean_aliases(aliases: list[str] | None, argument: str) -> list[str]:
    return [clean_name(alias, f"{argument}[{i}]") for i, alias in enumerate(aliases or [])]


@strawberry.type(description="A new user and their first personal access token.")
class CreateUserPayload:
    user: User = strawberry.field(description="The user.")
    access_token: str = strawberry.field(description="Shown this once; store it now.")


@strawberry.type(description="A new personal access token of the viewer.")
class CreatePersonalAccessTokenPayload:
    prefix: str = strawberry.field(description="The secret's first characters, to recognise it.")
    expires_at: datetime | None = strawberry.field(
        description="When it stops working (UTC); null = never."
    )
    secret: str = strawberry.field(description="Shown this once; store it now.")


@strawberry.type
class PlatformMutation:
    @strawberry.mutation(
        extensions=platform("create_project"), description="Superuser: a new project."
    )
    async def create_project(
        self,
        info: Info,
        input: Annotated[
            CreateProjectInput,
            strawberry.argument(description="The project's name and description."),
        ],
    ) -> Project:
        actor = info.context.authorizer.require_user()
        name = clean_name(input.name, "input.name")
        description = clean_description(input.description, "input.description")
        return Project.from_model(await create_project(actor.id, name, description))

    @strawberry.mutation(
        extensions=platform("create_user"),
        description="Superuser: a new user; the payload carries their token, shown once.",
    )
    async def create_user(
        self,
        info: Info,
        input: Annotated[
            CreateUserInput,
            strawberry.argument(description="The user's email, name and whether a superuser."),
        ],
    ) -> CreateUserPayload:
        actor = info.context.authorizer.require_user()
        created = await create_user(
            actor_id=actor.id,
            email=clean_email(input.email, "input.email"),
            name=clean_name(input.name, "input.name"),
            is_superuser=bool(input.is_superuser),
        )
        return CreateUserPayload(
            user=User.from_model(created.user), access_token=created.access_token
        )

    @strawberry.mutation(extensions=platform("create_model"), description="Superuser: a new model.")
    async def create_model(
        self,
        info: Info,
        input: Annotated[
            CreateModelInput,
            strawberry.argument(description="The model's name, provider and prices."),
        ],
    ) -> Model:
        actor = info.context.authorizer.require_user()
        row = await create_model(
            actor_id=actor.id,
            name=clean_name(input.name, "input.name"),
            provider=clean_name(input.provider, "input.provider"),
            input_nanos=usd_to_nanos(
                input.input_price_per_million,
                "input.inputPricePerMillion",
                MAX_PRICE_PER_MILLION_USD,
            ),
            output_nanos=usd_to_nanos(
                input.output_price_per_million,
                "input.outputPricePerMillion",
                MAX_PRICE_PER_MILLION_USD,
            ),
            aliases=clean_aliases(input.aliases, "input.aliases"),
        )
        return Model.from_model(row)

    @strawberry.mutation(
        extensions=platform("update_model"),
        description="Superuser: replace a model's aliases, the names gateways report it by; "
        "audited. A name belongs to one model.",
    )
    async def set_model_aliases(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The model.")],
        aliases: Annotated[
            list[str],
            strawberry.argument(description="Its aliases from now on, each 1..200 characters."),
        ],
    ) -> Model:
        actor = info.context.authorizer.require_user()
        row = await set_model_aliases(
            actor_id=actor.id,
            model_id=parse_id(id, "id"),
            aliases=clean_aliases(aliases, "aliases"),
        )
        return Model.from_model(row)

    @strawberry.mutation(
        extensions=platform("use_console"),
        description="A new personal access token for the viewer.",
    )
    async def create_personal_access_token(
        self,
        info: Info,
        name: Annotated[
            str, strawberry.argument(description="What the token is for, 1..200 characters.")
        ],
        expires_at: Annotated[
            datetime | None,
            strawberry.argument(description="When it stops working, with offset; null = never."),
        ] = None,
    ) -> CreatePersonalAccessTokenPayload:
        viewer = info.context.authorizer.require_user()
        expiry = None if expires_at is None else aware_instant(expires_at, "expiresAt")
        issued = await create_personal_access_token(viewer.id, clean_name(name, "name"), expiry)
        return CreatePersonalAccessTokenPayload(
            prefix=issued.token.prefix, expires_at=expiry, secret=issued.secret
        )
