"""The demo's forty people, and the personal tokens handed out to try their roles."""

import random
from datetime import datetime, timedelta

from comptroller.demo.catalog import FIRST_NAMES, LAST_NAMES
from kernel.tokens import TokenKind, issue_secret
from models import PersonalAccessToken, User


async def create_people(rng: random.Random, now: datetime) -> list[User]:
    """Forty people with unique names (no first name repeats); the first is the operator."""
    firsts, lasts = FIRST_NAMES.split(), LAST_NAMES.split()
    rng.shuffle(firsts)
    rng.shuffle(lasts)
    people = []
    for index, (first, last) in enumerate(zip(firsts, lasts, strict=True)):
        people.append(
            await User.create(
                email=f"{first}.{last}@example.com".lower(),
                name=f"{first} {last}",
                is_superuser=index == 0,
                created_at=now - timedelta(days=rng.uniform(155, 200)),
            )
        )
    return people


async def issue_personal_token(user: User) -> str:
    issued = issue_secret(TokenKind.PERSONAL)
    await PersonalAccessToken.create(
        user=user, name="demo token", prefix=issued.prefix, secret_hash=issued.secret_hash
    )
    return issued.secret
