from datetime import datetime

import strawberry

from models import ApiToken as ApiTokenRow
from resolvers.listed_rows import ListedApiToken
from schema.instants import as_utc, as_utc_or_none


@strawberry.type(
    name="ApiToken", description="A project API token; its secret is never shown again."
)
class ApiToken:
    id: strawberry.ID = strawberry.field(description="The token's id.")
    name: str = strawberry.field(description="What the token is for, as its creator named it.")
    prefix: str = strawberry.field(
        description="The secret's first characters, to recognise it; not the secret."
    )
    created_at: datetime = strawberry.field(description="When it was created (UTC).")
    expires_at: datetime | None = strawberry.field(
        description="When it stops working (UTC); null = never."
    )
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked (UTC); null = not revoked."
    )
    last_used_at: datetime | None = strawberry.field(
        description="When it last called the API (UTC); null = never."
    )

    @classmethod
    def from_model(cls, row: ApiTokenRow | ListedApiToken) -> "ApiToken":
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            prefix=row.prefix,
            created_at=as_utc(row.created_at),
            expires_at=as_utc_or_none(row.expires_at),
            revoked_at=as_utc_or_none(row.revoked_at),
            last_used_at=as_utc_or_none(row.last_used_at),
        )


@strawberry.type(description="A new project API token and its secret (createApiToken).")
class CreateApiTokenPayload:
    api_token: ApiToken = strawberry.field(description="The token as listed from now on.")
    secret: str = strawberry.field(description="Shown this once; store it now.")
