"""Relay connections: ``XConnection { edges { cursor node } pageInfo totalCount }``."""

from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from resolvers.pagination import Page
from schema.scalars import BigInt

T = TypeVar("T")

# The arguments of every connection field.
PageSize = Annotated[int | None, strawberry.argument(description="Page size, 1..100.")]
PageAfter = Annotated[
    str | None, strawberry.argument(description="The endCursor of the previous page.")
]


@strawberry.type(description="Where a page of a connection ends.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow this page.")
    end_cursor: str | None = strawberry.field(
        description="Pass as after for the next page; null when the page is empty."
    )


@strawberry.type(description="One item of a page, with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque; pass as after to continue after it.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of items (Relay connection): first is 1..100, after a cursor.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="This page's items, in order.")
    page_info: PageInfo = strawberry.field(description="Whether and where the next page starts.")
    total_count: BigInt = strawberry.field(description="Every item, not just this page.")

    @classmethod
    def from_page(cls, page: Page[Any], convert: Callable[[Any], T]) -> "Connection[T]":
        edges = [
            Edge(cursor=cursor, node=convert(row))
            for row, cursor in zip(page.rows, page.cursors, strict=True)
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
            total_count=BigInt(page.total_count),
        )
