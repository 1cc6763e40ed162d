"""The plain-selection executor answers exactly what graphql-core answers: the same data, the
same errors at the same paths, for plain fields, resolvers, fragments, directives and every
value a leaf or a non-null field refuses; and it does skip graphql-core's per-field work on
plain selections (``schema.plain_execution``)."""

import math
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.permission import BasePermission
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionResult

from schema.plain_execution import PlainSelectionExecutor


@strawberry.enum
class Color(Enum):
    RED = "red"
    GREEN = "green"


@strawberry.type
class Leaf:
    name: str
    size: int | None
    ratio: float
    flag: bool
    color: Color
    when: datetime
    key: strawberry.ID
    tags: list[str]
    scores: list[int | None] | None


@strawberry.type
class Node:
    id: strawberry.ID
    leaf: Leaf
    other: Leaf | None
    leaves: list[Leaf]

    @strawberry.field
    def doubled(self) -> int:
        return 2 * int(self.id)

    @strawberry.field
    async def later(self) -> str:
        return f"later {self.id}"


def leaf(**changes: Any) -> Leaf:
    values: dict[str, Any] = {
        "name": "a",
        "size": 3,
        "ratio": 0.5,
        "flag": True,
        "color": Color.RED,
        "when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "key": strawberry.ID("k1"),
        "tags": ["x", "y"],
        "scores": [1, None, 3],
    }
    values.update(changes)
    return Leaf(**values)


def node(index: int, **changes: Any) -> Node:
    values: dict[str, Any] = {
        "id": strawberry.ID(str(index)),
        "leaf": leaf(),
        "other": None if index % 2 else leaf(name="other"),
        "leaves": [leaf(size=index), leaf(size=None)],
    }
    values.update(changes)
    return Node(**values)


# The data of each case: three nodes, the second one possibly broken.
CASES: dict[str, Any] = {
    "valid": lambda: [node(1), node(2), node(3)],
    "tuple and ids as numbers": lambda: (node(1, leaf=leaf(key=7)), node(2)),
    "null for a non-null leaf": lambda: [node(1), node(2, leaf=leaf(name=None)), node(3)],
    "null for a non-null object": lambda: [node(1), node(2, leaf=None), node(3)],
    "null item of a non-null list": lambda: [node(1), node(2, leaves=[leaf(), None]), node(3)],
    "an enum value that is not one": lambda: [node(1), node(2, leaf=leaf(color="blue"))],
    "an Int out of range": lambda: [node(1), node(2, leaf=leaf(size=2**40))],
    "a Float that is not finite": lambda: [node(1), node(2, leaf=leaf(ratio=math.nan))],
    "an int where a Float goes": lambda: [node(1), node(2, leaf=leaf(ratio=2))],
    "a string where an Int goes": lambda: [node(1), node(2, leaf=leaf(size="12"))],
    "a bool where a String goes": lambda: [node(1), node(2, leaf=leaf(name=True))],
    "an exception as a value": lambda: [node(1), node(2, leaf=leaf(name=ValueError("no")))],
    "a list that is a generator": lambda: [node(1, leaves=(x for x in [leaf()])), node(2)],
    "a string where a list goes": lambda: [node(1, leaf=leaf(tags="xy"))],
    "a missing attribute": lambda: [node(1, leaf=object())],
}


@strawberry.type
class Query:
    @strawberry.field
    def nodes(self, case: str) -> list[Node]:
        return CASES[case]()  # type: ignore[no-any-return]

    @strawberry.field
    def first(self, case: str) -> Node:
        return CASES[case]()[0]  # type: ignore[no-any-return]


LEAF = "name size ratio flag color when key tags scores"
DOCUMENTS = {
    "plain": f"query($case: String!) {{ nodes(case: $case) {{ id leaf {{ {LEAF} }} "
    f"other {{ name }} leaves {{ size tags }} }} }}",
    "aliases, __typename, fields asked twice": """query($case: String!) {
      nodes(case: $case) { __typename i: id id leaf { n: name name __typename }
        leaf { size } leaves { s: size } } }""",
    "fragments": """query($case: String!) { nodes(case: $case) { ...N } first(case: $case) {
      ... on Node { leaf { ...L } } } }
      fragment N on Node { id leaf { ...L } other { ...L } }
      fragment L on Leaf { name color scores }""",
    "directives from variables": """query($case: String!, $yes: Boolean!, $no: Boolean!) {
      nodes(case: $case) { id @include(if: $no) leaf { name @skip(if: $yes) size
        color @include(if: $yes) } } }""",
    "resolvers among plain fields": """query($case: String!) { nodes(case: $case) {
      id doubled later leaf { name } leaves { name } } }""",
}


class CountingExecutor(PlainSelectionExecutor):
    """Counts the fields graphql-core executes one by one."""

    executed = 0

    def execute_field(self, *args: Any, **kwargs: Any) -> Any:
        CountingExecutor.executed += 1
        return super().execute_field(*args, **kwargs)


class ResolveHook(SchemaExtension):
    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        return _next(root, info, *args, **kwargs)


GRAPHQL_CORE = strawberry.Schema(
    Query, execution_context_class=StrawberryGraphQLCoreExecutionContext
)
PLAIN = strawberry.Schema(Query, execution_context_class=PlainSelectionExecutor)
COUNTING = strawberry.Schema(Query, execution_context_class=CountingExecutor)
HOOKED = strawberry.Schema(
    Query, execution_context_class=PlainSelectionExecutor, extensions=[ResolveHook]
)


async def answer(schema: strawberry.Schema, document: str, case: str) -> dict[str, Any]:
    variables = {"case": case, "yes": True, "no": False}
    result = await schema.execute(document, variables)
    assert isinstance(result, ExecutionResult)
    return {
        "data": result.data,
        "errors": [error.formatted for error in result.errors or []],
    }


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("document", sorted(DOCUMENTS))
async def test_answers_what_graphql_core_answers(document: str, case: str) -> None:
    expected = await answer(GRAPHQL_CORE, DOCUMENTS[document], case)

    assert await answer(PLAIN, DOCUMENTS[document], case) == expected
    assert await answer(HOOKED, DOCUMENTS[document], case) == expected


async def test_valid_values_are_answered_without_graphql_core_executing_each_field() -> None:
    # given: a document of 3 nodes x 30-odd plain fields
    CountingExecutor.executed = 0

    # when
    result = await answer(COUNTING, DOCUMENTS["plain"], "valid")

    # then: graphql-core executed the root field alone, the rest was read plainly
    assert result["errors"] == []
    assert len(result["data"]["nodes"]) == 3
    assert CountingExecutor.executed == 1


async def test_a_value_refused_anywhere_sends_that_list_back_to_graphql_core() -> None:
    CountingExecutor.executed = 0

    result = await answer(COUNTING, DOCUMENTS["plain"], "null for a non-null leaf")

    assert [error["path"] for error in result["errors"]] == [["nodes", 1, "leaf", "name"]]
    assert CountingExecutor.executed > 1


class Never(BasePermission):
    message = "never"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Guarded:
    name: str
    secret: str = strawberry.field(permission_classes=[Never])


@strawberry.type
class GuardedQuery:
    @strawberry.field
    def items(self) -> list[Guarded]:
        return [Guarded(name="a", secret="s"), Guarded(name="b", secret="t")]


async def test_a_guarded_field_without_a_resolver_is_still_decided_by_its_guard() -> None:
    # Strawberry marks such a field default: the plain path must not read it by getattr.
    schema = strawberry.Schema(GuardedQuery, execution_context_class=PlainSelectionExecutor)

    result = await answer(schema, "{ items { name secret } }", "")

    assert result["data"] is None
    assert [error["message"] for error in result["errors"]] == ["never"]
