"""The ``Info`` every resolver receives, typed with our context."""

import strawberry

from comptroller.context import Context

Info = strawberry.Info[Context, None]
