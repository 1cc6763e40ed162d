"""``REQUEST_COLUMNS`` is the one list of the columns recording writes: every column of the
``Request`` model but its id, in the model's order, with the model's SQL types."""

from models import Request
from models.request import REQUEST_COLUMN_TYPES, REQUEST_COLUMNS
from tests.support.backends import Backend


async def test_the_request_columns_are_the_models_columns_but_the_id(backend: Backend) -> None:
    # given: the model as Tortoise initialised it (foreign keys have their id columns now)
    meta = Request._meta
    id_columns = {f"{name}_id" for name in meta.fk_fields}

    # when
    in_model_order = [
        f"{name}_id" if name in meta.fk_fields else name
        for name in meta.fields_map
        if name != meta.pk_attr and name not in id_columns
    ]
    sql_types = {
        column: meta.fields_map[column].get_for_dialect("postgres", "SQL_TYPE")
        for column in in_model_order
    }

    # then
    assert list(REQUEST_COLUMNS) == in_model_order
    assert {
        column: kind.split("(")[0].lower() for column, kind in sql_types.items()
    } == REQUEST_COLUMN_TYPES
