"""Bearer tokens to principals. Every request reads the token row again, so a revoked or
expired token, or a role taken away, stops working on the very next request."""

from datetime import UTC, datetime, timedelta

from comptroller.errors import Unauthenticated
from comptroller.principals import ApiClientPrincipal, Principal, UserPrincipal
from comptroller.tokens import TokenKind, hash_secret, hashes_match, kind_of
from models import ApiToken, Membership, PersonalAccessToken

# Writing lastUsedAt on every call would turn each read into a write; a minute is precise
# enough for "when was this token last used".
LAST_USED_RESOLUTION = timedelta(minutes=1)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if there is one."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticate(token: str) -> Principal:
    """The principal a token stands for; raises ``Unauthenticated`` for any unusable token."""
    kind = kind_of(token)
    if kind is None or len(token) > 200:
        raise Unauthenticated("Unknown token.")
    digest = hash_secret(token)
    now = datetime.now(UTC)
    if kind is TokenKind.PERSONAL:
        return await _authenticate_user(digest, now)
    return await _authenticate_client(digest, now)


async def _authenticate_user(digest: str, now: datetime) -> UserPrincipal:
    row = await PersonalAccessToken.filter(secret_hash=digest).select_related("user").first()
    if row is None or not hashes_match(row.secret_hash, digest):
        raise Unauthenticated("Unknown token.")
    _refuse_unusable(row.revoked_at, row.expires_at, now)
    await _touch(PersonalAccessToken, row.id, row.last_used_at, now)
    memberships = await Membership.filter(user_id=row.user_id).values_list("project_id", "roles")
    user = row.user
    return UserPrincipal(
        id=user.id,
        email=user.email,
        name=user.name,
        is_superuser=user.is_superuser,
        project_roles={project_id: frozenset(roles) for project_id, roles in memberships},
    )


async def _authenticate_client(digest: str, now: datetime) -> ApiClientPrincipal:
    row = await ApiToken.filter(secret_hash=digest).first()
    if row is None or not hashes_match(row.secret_hash, digest):
        raise Unauthenticated("Unknown token.")
    _refuse_unusable(row.revoked_at, row.expires_at, now)
    await _touch(ApiToken, row.id, row.last_used_at, now)
    return ApiClientPrincipal(token_id=row.id, project_id=row.project_id)


def _refuse_unusable(
    revoked_at: datetime | None, expires_at: datetime | None, now: datetime
) -> None:
    if revoked_at is not None:
        raise Unauthenticated("This token has been revoked.")
    if expires_at is not None and expires_at <= now:
        raise Unauthenticated("This token has expired.")


async def _touch(
    model: type[PersonalAccessToken] | type[ApiToken],
    token_id: int,
    last_used_at: datetime | None,
    now: datetime,
) -> None:
    if last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION:
        await model.filter(id=token_id).update(last_used_at=now)
