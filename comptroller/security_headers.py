"""Security headers on every answer, and a Content-Security-Policy on every page.

Pages (GraphiQL and the dashboard) get a policy that lets them load scripts and styles only
from the app itself and from ``asset_sources`` (the setting ``graphiql_asset_sources``,
``'self'`` by default: the app serves those assets itself), run only the inline scripts they
were served with (each allowed by its SHA-256, computed from the page as it leaves, never
``'unsafe-inline'`` for scripts), and
talk only to the app. No page may be framed.
"""

import base64
import hashlib
import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
_POLICIES_KEPT = 64


def content_security_policy(asset_sources: str, inline_scripts: Iterable[bytes]) -> str:
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in inline_scripts
    )
    # 'self' is always there: written once however the setting names it.
    sources = " ".join(s for s in asset_sources.split() if s != "'self'")
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {sources} {hashes}".strip(),
            # GraphiQL sets styles inline on its elements.
            f"style-src 'self' 'unsafe-inline' {sources}".strip(),
            f"img-src 'self' data: {sources}".strip(),
            f"font-src 'self' data: {sources}".strip(),
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "object-src 'none'",
        )
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp, asset_sources: str) -> None:
        self.app = app
        self.asset_sources = asset_sources
        self._policies: dict[bytes, str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body: list[bytes] = []

        async def with_headers(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), *ALWAYS]
                message = {**message, "headers": headers}
                if not _is_html(headers):
                    await send(message)
                    return
                start = message  # held until the page's body is known
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            page = b"".join(body)
            policy = self._policy_of(page)
            headers = [*start["headers"], (b"content-security-policy", policy.encode())]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, with_headers)

    def _policy_of(self, page: bytes) -> str:
        digest = hashlib.sha256(page).digest()
        policy = self._policies.get(digest)
        if policy is None:
            if len(self._policies) >= _POLICIES_KEPT:
                self._policies.clear()
            policy = content_security_policy(self.asset_sources, _INLINE_SCRIPT.findall(page))
            self._policies[digest] = policy
        return policy


def _is_html(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers)
