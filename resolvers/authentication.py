"""Bearer tokens to principals. Every request reads the token row again, so a revoked or
expired token, or a role taken away, stops working on the very next request."""

from datetime import UTC, datetime, timedelta

from kernel.errors import Unauthenticated
from kernel.principals import ApiClientPrincipal, Principal, UserPrincipal
from kernel.raw_sql import bind_marks
from kernel.tokens import TokenKind, hash_secret, hashes_match, kind_of
from models import ApiToken, Membership, PersonalAccessToken, User

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


# The token, its user and the user's roles in one statement: every request of a person
# runs it, and the ORM spends longer building two queries than the database answering one.
_PERSON_SQL = (
    "SELECT t.id, t.secret_hash, t.expires_at, t.revoked_at, t.last_used_at, u.id AS user_id, "
    "u.email, u.name, u.is_superuser, m.project_id, m.roles "
    "FROM personal_access_tokens t JOIN users u ON u.id = t.user_id "
    "LEFT JOIN memberships m ON m.user_id = u.id WHERE t.secret_hash = {mark}"
)
_TOKEN_FIELDS = PersonalAccessToken._meta.fields_map
_USER_FIELDS = User._meta.fields_map
_ROLES = Membership._meta.fields_map["roles"]


async def _authenticate_user(digest: str, now: datetime) -> UserPrincipal:
    connection = PersonalAccessToken._meta.db  # the ORM's connection, whatever its name
    (mark,) = bind_marks(connection, 1)
    rows = await connection.execute_query_dict(_PERSON_SQL.format(mark=mark), [digest])
    if not rows or not hashes_match(rows[0]["secret_hash"], digest):
        raise Unauthenticated("Unknown token.")
    row = rows[0]
    token_field = _TOKEN_FIELDS["expires_at"]
    _refuse_unusable(
        token_field.to_python_value(row["revoked_at"]),
        token_field.to_python_value(row["expires_at"]),
        now,
    )
    last_used_at = token_field.to_python_value(row["last_used_at"])
    await _touch(PersonalAccessToken, int(row["id"]), last_used_at, now)
    return UserPrincipal(
        id=int(row["user_id"]),
        email=row["email"],
        name=row["name"],
        is_superuser=_USER_FIELDS["is_superuser"].to_python_value(row["is_superuser"]),
        project_roles={
            int(r["project_id"]): frozenset(_ROLES.to_python_value(r["roles"]))
            for r in rows
            if r["project_id"] is not None
        },
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
