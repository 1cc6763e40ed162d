"""Users and their personal access tokens."""

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from kernel.errors import BadUserInput
from kernel.tokens import TokenKind, issue_secret
from models import PersonalAccessToken, User
from resolvers.governance.audit import record_event


@dataclass(frozen=True)
class NewUser:
    user: User
    access_token: str  # shown once, never stored


@dataclass(frozen=True)
class NewPersonalAccessToken:
    token: PersonalAccessToken
    secret: str


async def create_user(
    *,
    actor_id: int | None,
    email: str,
    name: str,
    is_superuser: bool,
    email_argument: str = "input.email",
) -> NewUser:
    """Create a user with a first personal access token; ``email`` must be new."""
    if await User.exists(email=email):
        raise BadUserInput(email_argument, "a user with this email already exists")
    try:
        async with in_transaction():
            user = await User.create(email=email, name=name, is_superuser=is_superuser)
            issued = await _issue_token(user.id, "initial token", None)
            await record_event(
                actor_id=actor_id,
                project_id=None,
                action="user.create",
                target=f"user:{user.id}",
                details={"email": email, "isSuperuser": is_superuser},
            )
    except IntegrityError as error:  # a concurrent create won the race for the email
        raise BadUserInput(email_argument, "a user with this email already exists") from error
    return NewUser(user=user, access_token=issued.secret)


async def create_personal_access_token(
    user_id: int, name: str, expires_at: datetime | None
) -> NewPersonalAccessToken:
    return await _issue_token(user_id, name, expires_at)


async def _issue_token(
    user_id: int, name: str, expires_at: datetime | None
) -> NewPersonalAccessToken:
    issued = issue_secret(TokenKind.PERSONAL)
    token = await PersonalAccessToken.create(
        user_id=user_id,
        name=name,
        prefix=issued.prefix,
        secret_hash=issued.secret_hash,
        expires_at=expires_at,
    )
    return NewPersonalAccessToken(token=token, secret=issued.secret)
