"""What the lists (the request log, members, the audit log, API tokens) read, as plain rows.

A page is one SQL statement with the rows it refers to joined in. Building Tortoise objects
for it cost more than the statement itself (a model instance per row and per related row,
each timestamp parsed by ``iso8601``), so a list reads into frozen dataclasses instead: a
``RowReader`` derives the columns to select and each column's conversion from the
dataclass's fields, for the backend at hand (SQLite hands back text for timestamps and JSON
and integers for booleans; asyncpg typed values, JSON as text).

The catalog rows below are the related objects of the lists (and the project every page
hangs from); each list's own row lives with its capability (``request_log.LoggedRequest``,
``governance.members.ListedMember``, ...).
"""

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from types import NoneType, UnionType
from typing import Any, Generic, TypeVar, Union, get_args, get_origin, get_type_hints

from models.enums import AssistantStatus

T = TypeVar("T")
Convert = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class ListedProject:
    id: int
    name: str
    description: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ListedUser:
    id: int
    email: str
    name: str
    is_superuser: bool


@dataclass(frozen=True, slots=True)
class ListedModel:
    id: int
    name: str
    provider: str
    input_price_per_million_nanos: int
    output_price_per_million_nanos: int


@dataclass(frozen=True, slots=True)
class ListedAssistant:
    id: int
    name: str
    description: str | None
    status: AssistantStatus
    model_id: int | None


@dataclass(frozen=True, slots=True)
class ListedApiToken:
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


def _sqlite_instant(value: Any) -> datetime:
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    # Text written without an offset is UTC, as Tortoise reads it: a cursor needs the zone.
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _converter(kind: Any, sqlite: bool) -> Convert | None:
    """How a present value of ``kind`` comes from the driver; None: as it is."""
    if kind is datetime:
        return _sqlite_instant if sqlite else None
    if kind is bool:
        return bool if sqlite else None
    if kind in (int, str, float):
        return None
    if get_origin(kind) is None and isinstance(kind, type) and issubclass(kind, Enum):
        return kind
    return _json  # lists and dicts: JSON columns


def _present_kind(annotation: Any) -> Any:
    """The type of a field's present values: ``X`` of ``X | None``."""
    if get_origin(annotation) in (Union, UnionType):
        kinds = [kind for kind in get_args(annotation) if kind is not NoneType]
        if len(kinds) == 1:
            return kinds[0]
    return annotation


class RowReader(Generic[T]):
    """Reads rows of dataclass ``shape`` from the columns ``{alias}.{field}``, selected in the
    dataclass's order from position ``offset`` of a statement's records, so that several
    readers share one statement. Records are read by position: sqlite3.Row finds a column by
    name comparing every name before it."""

    def __init__(self, shape: type[T], alias: str, sqlite: bool, offset: int) -> None:
        self.shape = shape
        names = [field.name for field in dataclasses.fields(shape)]  # type: ignore[arg-type]
        hints = get_type_hints(shape)
        self.select = ", ".join(f"{alias}.{name}" for name in names)
        self.end = offset + len(names)
        self._offset = offset
        self._key = offset + names.index("id") if "id" in names else None
        converters = [_converter(_present_kind(hints[name]), sqlite) for name in names]
        self._converted = [(i, c) for i, c in enumerate(converters) if c is not None]

    def __call__(self, record: Any) -> T:  # a driver's record: sqlite3.Row, asyncpg.Record
        values = record[self._offset : self.end]
        if self._converted:
            values = list(values)
            for index, convert in self._converted:
                value = values[index]
                if value is not None:
                    values[index] = convert(value)
        return self.shape(*values)

    def shared(self, record: Any, seen: dict[Any, T]) -> T | None:
        """The row a record refers to by its ``id`` (None when its left join found none),
        read once however many records of a page refer to it."""
        assert self._key is not None, "shared rows have an id"
        key = record[self._key]
        if key is None:
            return None
        row = seen.get(key)
        if row is None:
            row = seen[key] = self(record)
        return row


_readers: dict[tuple[type, str, bool, int], RowReader[Any]] = {}


def row_reader(shape: type[T], alias: str, connection: Any, offset: int = 0) -> RowReader[T]:
    """The reader of ``shape`` as ``alias`` from column ``offset`` on, for the connection's
    backend, made once."""
    key = (shape, alias, connection.capabilities.dialect == "sqlite", offset)
    reader = _readers.get(key)
    if reader is None:
        reader = _readers[key] = RowReader(shape, alias, key[2], offset)
    return reader
