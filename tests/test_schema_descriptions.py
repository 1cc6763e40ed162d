"""GraphiQL's docs explain everything: every public type, field, argument, input field and
enum value of the built schema has a description."""

from collections.abc import Iterator

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
)

from schema import build_schema


def undescribed(name: str, kind: GraphQLNamedType) -> Iterator[str]:
    if not (kind.description or "").strip():
        yield name
    if isinstance(kind, (GraphQLObjectType, GraphQLInterfaceType)):
        for field_name, field in kind.fields.items():
            if not (field.description or "").strip():
                yield f"{name}.{field_name}"
            for argument, value in field.args.items():
                if not (value.description or "").strip():
                    yield f"{name}.{field_name}({argument})"
    elif isinstance(kind, GraphQLInputObjectType):
        for field_name, field in kind.fields.items():
            if not (field.description or "").strip():
                yield f"{name}.{field_name}"
    elif isinstance(kind, GraphQLEnumType):
        for value_name, value in kind.values.items():
            if not (value.description or "").strip():
                yield f"{name}.{value_name}"


def test_every_public_schema_element_has_a_description() -> None:
    types = build_schema()._schema.type_map
    missing = [
        element
        for name, kind in sorted(types.items())
        if not name.startswith("__")
        for element in undescribed(name, kind)
    ]
    assert missing == []


def test_the_check_sees_what_lacks_a_description() -> None:
    bare = GraphQLEnumType("Bare", {"ONE": 1})
    assert list(undescribed("Bare", bare)) == ["Bare", "Bare.ONE"]
