"""What a client selected below the field being resolved, so that a resolver reads only
the related rows a document asks for."""

from collections.abc import Iterable

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from schema.context import Info


def _fields(selections: Iterable[Selection]) -> Iterable[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, (FragmentSpread, InlineFragment)):
            yield from _fields(selection.selections)


def selected_below(info: Info, *path: str) -> frozenset[str]:
    """The names of the fields selected at ``path`` (field names, not aliases) below the
    current field, through fragments. Directives are not evaluated: a field under
    ``@skip``/``@include`` counts as selected, so this is never less than what executes."""
    level: list[SelectedField] = [
        field for field in _fields(info.selected_fields) if field.name == info.field_name
    ]
    for name in path:
        level = [
            field for parent in level for field in _fields(parent.selections) if field.name == name
        ]
    return frozenset(field.name for parent in level for field in _fields(parent.selections))
