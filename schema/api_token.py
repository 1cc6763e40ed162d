from datetime import datetime

import strawberry

from models import ApiToken as ApiTokenRow
from schema.instants import as_utc, as_utc_or_none


@strawberry.type(
    name="ApiToken", description="A project API token; its secret is never shown again."
)
class ApiToken:
    id: strawberry.ID
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def from_model(cls, row: ApiTokenRow) -> "ApiToken":
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            prefix=row.prefix,
            created_at=as_utc(row.created_at),
            expires_at=as_utc_or_none(row.expires_at),
            revoked_at=as_utc_or_none(row.revoked_at),
            last_used_at=as_utc_or_none(row.last_used_at),
        )


@strawberry.type
class CreateApiTokenPayload:
    api_token: ApiToken
    secret: str = strawberry.field(description="Shown this once; store it now.")
