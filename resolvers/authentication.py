"""Bearer tokens to principals. Every request reads the token row again, so a revoked or
expired token, or a role taken away, stops working on the very next request."""

from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from kernel.errors import Unauthenticated
from kernel.principals import ApiClientPrincipal, Principal, UserPrincipal
from kernel.raw_sql import bind_marks
from kernel.tokens import TokenKind, hash_secret, hashes_match, kind_of
from models import ApiToken, Membership, PersonalAccessToken, User
from resolvers.data_versions import CATALOG

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
    await touch(PersonalAccessToken, int(row["id"]), last_used_at, now)
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


# The token and, in the same statement, the versions its project's cached answers are keyed
# by (resolvers/data_versions.py): a cached admission then costs this one read.
_CLIENT_SQL = (
    "SELECT t.id, t.project_id, t.secret_hash, t.expires_at, t.revoked_at, t.last_used_at, "
    "c.version AS catalog_version, d.version AS data_version FROM api_tokens t "
    f"LEFT JOIN project_data_versions c ON c.project_id = {CATALOG} "
    "LEFT JOIN project_data_versions d ON d.project_id = t.project_id "
    "WHERE t.secret_hash = {mark}"
)
_CLIENT_FIELDS = ApiToken._meta.fields_map


async def _authenticate_client(digest: str, now: datetime) -> ApiClientPrincipal:
    connection = ApiToken._meta.db  # the ORM's connection, whatever its name
    (mark,) = bind_marks(connection, 1)
    rows = await connection.execute_query_dict(_CLIENT_SQL.format(mark=mark), [digest])
    if not rows or not hashes_match(rows[0]["secret_hash"], digest):
        raise Unauthenticated("Unknown token.")
    row = rows[0]
    instant = _CLIENT_FIELDS["expires_at"]
    _refuse_unusable(
        instant.to_python_value(row["revoked_at"]), instant.to_python_value(row["expires_at"]), now
    )
    await touch(ApiToken, int(row["id"]), instant.to_python_value(row["last_used_at"]), now)
    catalog = row["catalog_version"]
    versions = None if catalog is None else (int(catalog), int(row["data_version"] or 0))
    return ApiClientPrincipal(
        token_id=int(row["id"]), project_id=int(row["project_id"]), versions=versions
    )


def _refuse_unusable(
    revoked_at: datetime | None, expires_at: datetime | None, now: datetime
) -> None:
    if revoked_at is not None:
        raise Unauthenticated("This token has been revoked.")
    if expires_at is not None and expires_at <= now:
        raise Unauthenticated("This token has expired.")


async def touch(
    model: type[PersonalAccessToken] | type[ApiToken],
    token_id: int,
    last_used_at: datetime | None,
    now: datetime,
) -> bool:
    """Keep ``lastUsedAt`` to the minute with at most one write per token a minute, shared
    by every worker and replica: the UPDATE is issued only when the value read is stale, and
    its WHERE checks the value again, so of the workers that read the same stale value only
    the first to take the row writes (PostgreSQL re-evaluates the WHERE after the lock wait;
    SQLite writes one at a time). Whether this call wrote."""
    if last_used_at is not None and now - last_used_at < LAST_USED_RESOLUTION:
        return False
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    updated = await model.filter(stale, id=token_id).update(last_used_at=now)
    return bool(updated)
