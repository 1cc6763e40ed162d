"""Where an alert may be POSTed: http(s) only, never the service itself, and never a private,
loopback, reserved, link-local (cloud metadata), multicast or unspecified address unless the
operator listed the host (``COMPTROLLER_WEBHOOK_ALLOWED_HOSTS``).

The name is resolved once, every address it resolves to is checked, and the POST goes to the
checked address with the name in ``Host`` and in TLS's SNI (certificates are verified against
the name): a DNS answer that changes between the check and the connection (rebinding) is never
followed.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Destination:
    """A checked destination: the URL with the checked address as host, and what names it."""

    url: httpx.URL
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


def is_internal(ip: IPAddress) -> bool:
    """Whether ``ip`` is an address alerts never reach unless its host is allowed."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_reserved
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


def literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return None


def refused_literal_host(url: str, allowed_hosts: Collection[str]) -> str | None:
    """What can be said without DNS: the scheme, and a literal address's range."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "only http(s) URLs are sent to"
    ip = literal_ip(parts.hostname)
    if ip is not None and parts.hostname not in allowed_hosts and is_internal(ip):
        return f"{ip} is an internal address, which alerts are never sent to"
    return None


async def checked_destination(
    url: str, own_port: int | None, allowed_hosts: Collection[str]
) -> Destination | str:
    """Where to connect for ``url``, or why it may not be sent to."""
    refusal = refused_literal_host(url, allowed_hosts)
    if refusal is not None:
        return refusal
    parts = urlsplit(url)
    host = parts.hostname
    assert host is not None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await _resolve(host, port)
    except OSError as error:
        return f"cannot resolve {host}: {error}"
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        return f"cannot resolve {host}"
    for ip in addresses:
        if own_port is not None and port == own_port and (ip.is_loopback or _is_local(ip)):
            return "alerts are never sent to the service itself"
        if host not in allowed_hosts and is_internal(ip):
            return f"{host} resolves to {ip}, which alerts are never sent to"
    checked = addresses[0]
    if literal_ip(host) is not None:
        return Destination(httpx.URL(url))
    name = host if parts.port is None else f"{host}:{parts.port}"
    return Destination(
        httpx.URL(url).copy_with(host=str(checked)),
        headers={"Host": name},
        extensions={"sni_hostname": host} if parts.scheme == "https" else {},
    )


async def _resolve(host: str, port: int) -> list[Any]:
    loop = asyncio.get_running_loop()
    return await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def _is_local(ip: IPAddress) -> bool:
    """Whether ``ip`` is one of this host's addresses."""
    try:
        local = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)}
    except OSError:
        return False
    return str(ip) in local
