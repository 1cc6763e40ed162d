"""Scalars beyond GraphQL's own: 64-bit integers for aggregates, and JSON."""

from typing import NewType

import strawberry
from strawberry.scalars import JSON
from strawberry.types.scalar import ScalarDefinition

# GraphQL's Int is 32-bit; sums of tokens and request counts outgrow it.
BigInt = NewType("BigInt", int)

SCALAR_MAP: dict[object, ScalarDefinition] = {
    BigInt: strawberry.scalar(
        name="BigInt",
        description="A 64-bit integer, serialized as a JSON number.",
        serialize=int,
        parse_value=int,
    )
}

__all__ = ["JSON", "SCALAR_MAP", "BigInt"]
