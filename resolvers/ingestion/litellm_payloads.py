"""LiteLLM's ``StandardLoggingPayload`` as request records: another reader of ``RecordInput``.

LiteLLM's ``generic_api`` callback posts one JSON array of payloads per flush (or NDJSON, or
one payload, by its ``log_format``). Only the fields read below are declared; the payload's
many others are ignored. What LiteLLM 1.110 sends, as seen here: ``model`` without its
provider prefix and ``custom_llm_provider`` beside it (the model is looked up as
``provider/model``, then ``model``, then the proxy's ``model_group``); ``response_cost`` 0.0,
not null, for a model it cannot price (read as absent: Comptroller prices it); ``end_user``
null in SDK mode, the caller's ``user=`` in ``model_parameters.user``.
"""

from datetime import UTC, datetime
from typing import Any

import msgspec
import orjson

from models import RequestStatus
from resolvers.ingestion.named_records import (
    UNRESOLVED,
    NamedRecord,
    Refusal,
    clipped,
    clipped_error,
)
from resolvers.ingestion.record import RecordInput


class ErrorInformation(msgspec.Struct):
    error_message: str | None = None


class Payload(msgspec.Struct):
    """The fields of a ``StandardLoggingPayload`` a record is made of."""

    id: str
    startTime: float  # noqa: N815 - LiteLLM's own name
    endTime: float  # noqa: N815
    model: str
    status: str = "success"
    custom_llm_provider: str | None = None
    model_group: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    response_cost: float | None = None
    end_user: str | None = None
    model_parameters: dict[str, Any] = msgspec.field(default_factory=dict)
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    messages: Any = None
    response: Any = None
    error_str: str | None = None
    error_information: ErrorInformation | None = None


_PAYLOAD = msgspec.json.Decoder(Payload)
_ARRAY = msgspec.json.Decoder(list[msgspec.Raw])


class UnreadableBatch(ValueError):
    """A body that is neither a JSON array, NDJSON nor one JSON object."""


def records_of_batch(body: bytes) -> list[NamedRecord | Refusal]:
    """A record or a refusal for each payload of a callback's body, in its order."""
    return [_record_or_refusal(index, raw) for index, raw in enumerate(_items(body))]


def _items(body: bytes) -> list[bytes | msgspec.Raw]:
    text = body.strip()
    if text.startswith(b"["):
        try:
            return list(_ARRAY.decode(text))
        except msgspec.DecodeError as error:
            raise UnreadableBatch(f"not a JSON array of payloads ({error})") from None
    if not text.startswith(b"{"):
        raise UnreadableBatch("must be a JSON array, NDJSON or one JSON object")
    lines = [line for line in text.splitlines() if line.strip()]
    # One object spread over several lines is a single payload, not NDJSON.
    return lines if all(line.lstrip().startswith(b"{") for line in lines[1:]) else [text]


def _record_or_refusal(index: int, raw: bytes | msgspec.Raw) -> NamedRecord | Refusal:
    try:
        payload = _PAYLOAD.decode(raw)
    except msgspec.DecodeError as error:
        return Refusal(index, _id_of(raw), f"not a StandardLoggingPayload ({error})")
    if payload.endTime < payload.startTime:
        return Refusal(index, payload.id, "endTime is before startTime")
    failed = payload.status != "success"
    cost = payload.response_cost
    record = RecordInput(
        external_id=payload.id,
        created_at=datetime.fromtimestamp(payload.startTime, UTC),
        status=RequestStatus.ERROR if failed else RequestStatus.SUCCESS,
        duration_ms=round((payload.endTime - payload.startTime) * 1000),
        model_id=UNRESOLVED,
        input_tokens=payload.prompt_tokens,
        output_tokens=payload.completion_tokens,
        cost=cost or None,  # 0.0 is what LiteLLM sends when it has no price
        input=clipped(_text(payload.messages)),
        output=None if failed else clipped(_text(payload.response)),
        error_message=clipped_error(_error_message(payload)) if failed else None,
    )
    metadata = payload.metadata
    users = (
        payload.end_user,
        payload.model_parameters.get("user"),
        metadata.get("user_api_key_user_id"),
        metadata.get("user_api_key_user_email"),
    )
    return NamedRecord(
        record,
        models=_model_names(payload),
        assistants=tuple(
            name for name in (metadata.get("user_api_key_alias"),) if isinstance(name, str) and name
        ),
        users=tuple(user for user in users if isinstance(user, str) and user),
    )


def _model_names(payload: Payload) -> tuple[str, ...]:
    names = []
    if payload.custom_llm_provider and not payload.model.startswith(
        f"{payload.custom_llm_provider}/"
    ):
        names.append(f"{payload.custom_llm_provider}/{payload.model}")
    names.append(payload.model)
    if payload.model_group:
        names.append(payload.model_group)
    return tuple(dict.fromkeys(name for name in names if name))


def _text(value: Any) -> str | None:
    if value is None or value in ("", [], {}):
        return None
    if isinstance(value, str):
        return value
    return orjson.dumps(value, default=str).decode()


def _error_message(payload: Payload) -> str | None:
    # LiteLLM's message already names the exception's class.
    information = payload.error_information
    if information is not None and information.error_message:
        return information.error_message
    return payload.error_str


def _id_of(raw: bytes | msgspec.Raw) -> str | None:
    try:
        value = orjson.loads(bytes(raw))
    except orjson.JSONDecodeError:
        return None
    identifier = value.get("id") if isinstance(value, dict) else None
    return identifier if isinstance(identifier, str) else None
