"""Bearer-token secrets: how they are made, recognised and hashed.

Secrets carry 256 random bits, so a plain SHA-256 is the right hash: a slow password hash
would only add latency to every request without adding safety (the approach GitHub takes).
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum


class TokenKind(StrEnum):
    PERSONAL = "cpt_"  # a user's personal access token
    API = "cat_"  # a project API token


PREFIX_LENGTH = 12


@dataclass(frozen=True)
class IssuedSecret:
    """A freshly made secret: ``secret`` is shown once, only ``secret_hash`` is stored."""

    secret: str
    prefix: str
    secret_hash: str


def issue_secret(kind: TokenKind) -> IssuedSecret:
    secret = kind.value + secrets.token_urlsafe(32)
    return IssuedSecret(
        secret=secret, prefix=secret[:PREFIX_LENGTH], secret_hash=hash_secret(secret)
    )


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def kind_of(secret: str) -> TokenKind | None:
    for kind in TokenKind:
        if secret.startswith(kind.value):
            return kind
    return None


def hashes_match(stored: str, presented: str) -> bool:
    """Compare in constant time, so response timing says nothing about the stored hash."""
    return hmac.compare_digest(stored.encode(), presented.encode())
