"""The typed context every resolver receives."""

from dataclasses import dataclass, field

from starlette.requests import Request

from comptroller.authorization import Authorizer
from comptroller.cache import ResultCache
from resolvers.loaders import Loaders


@dataclass
class Context:
    request: Request | None
    authorizer: Authorizer
    cache: ResultCache
    request_id: str
    loaders: Loaders = field(default_factory=Loaders)
