"""The browser routes: ``/`` (the dashboard), ``/console/*`` (its files), ``/vendor/*``.

Nothing here reads data: the pages are static and call the public GraphQL API (and the CSV
exports) with the token a person pastes, so they need no token to load.
"""

import logging
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from comptroller.console.vendor import (
    INSTALL_HINT,
    VENDOR_FILES,
    missing_vendor_files,
    vendor_path,
)
from comptroller.error_responses import app_error_response
from kernel.errors import AppError, ErrorCode, NotFound

logger = logging.getLogger("comptroller.console")

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Unversioned names: an hour's caching keeps reloads cheap and an upgrade visible soon.
VENDOR_CACHE_CONTROL = "public, max-age=3600"


def _page(name: str) -> HTMLResponse:
    return HTMLResponse((STATIC_DIR / name).read_text(), headers={"cache-control": "no-cache"})


def graphiql_page() -> HTMLResponse:
    """GraphiQL, loading React and GraphiQL from ``/vendor`` and its set-up from ``/console``."""
    return _page("graphiql.html")


async def dashboard(_: Request) -> Response:
    return _page("index.html")


class BrowserFilesMissing(AppError):
    """The npm packages the pages load are not installed: the operator's to fix."""

    code = ErrorCode.SERVICE_UNAVAILABLE


def vendor_route(packages_dir: Path) -> Route:
    async def endpoint(request: Request) -> Response:
        name = request.path_params["name"]
        path = vendor_path(packages_dir, name)
        if path is None:
            return app_error_response(NotFound(f"No browser file named {name!r}."))
        if not path.is_file():
            logger.error("browser file %s missing at %s: %s", name, path, INSTALL_HINT)
            return app_error_response(
                BrowserFilesMissing(
                    f"The browser file {name!r} is not installed on this server; {INSTALL_HINT}."
                )
            )
        return FileResponse(
            path,
            media_type=VENDOR_FILES[name].media_type,
            headers={"cache-control": VENDOR_CACHE_CONTROL},
        )

    return Route("/vendor/{name}", endpoint, methods=["GET", "HEAD"])


def console_routes(packages_dir: Path) -> list[BaseRoute]:
    """The dashboard's routes; logs once when the npm packages are not installed."""
    missing = missing_vendor_files(packages_dir)
    if missing:
        logger.warning(
            "GraphiQL and the dashboard cannot load: %s not installed under %s; %s",
            ", ".join(missing),
            packages_dir,
            INSTALL_HINT,
        )
    return [
        Route("/", dashboard, methods=["GET", "HEAD"]),
        Mount("/console", StaticFiles(directory=STATIC_DIR), name="console"),
        vendor_route(packages_dir),
    ]
