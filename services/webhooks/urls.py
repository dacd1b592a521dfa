"""Which URLs a subscription may point at (docs/security.md, "SSRF"): http(s) only, at most
MAX_URL_LENGTH characters, no credentials in them, and by default none that resolves to a
loopback, private, link-local, multicast or otherwise non-public address, so that a subscriber
cannot make the service call into the cluster. The address is checked when the subscription is
created AND at every connection (`PublicOnlyResolver`: DNS may have changed since)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from callcenter.core.errors import InvalidArgument

MAX_URL_LENGTH = 2048


class AddressRefused(OSError):
    """The URL's host resolves to an address deliveries may not go to."""


def public(address: str) -> bool:
    """Whether an IP address is a public one (IPv4-mapped IPv6 judged as the IPv4 inside)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def parse(url: str, field: str = "url") -> tuple[str, int]:
    """The host and port of an acceptable URL's; InvalidArgument naming `field` otherwise."""
    if not url:
        raise InvalidArgument(field, "is required")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidArgument(field, f"is longer than {MAX_URL_LENGTH} characters")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise InvalidArgument(field, "holds white space or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidArgument(field, f"is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidArgument(field, "must be an http:// or https:// URL")
    if not parts.hostname:
        raise InvalidArgument(field, "has no host")
    if parts.username is not None or parts.password is not None:
        raise InvalidArgument(field, "may not hold credentials (the signature authenticates deliveries)")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def check(url: str, allow_private: bool, field: str = "url") -> None:
    """Refuses (InvalidArgument) a URL that is not acceptable or, unless allow_private, whose host
    does not resolve or resolves to any non-public address."""
    host, port = parse(url, field)
    if allow_private:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise InvalidArgument(field, f"host {host} does not resolve ({exc.strerror or exc})") from None
    refused = sorted({str(info[4][0]) for info in infos if not public(str(info[4][0]))})
    if refused or not infos:
        raise InvalidArgument(
            field, f"host {host} resolves to a non-public address ({', '.join(refused)}); refused (docs/security.md)"
        )


class PublicOnlyResolver(AbstractResolver):
    """aiohttp's resolver, refusing every answer that holds a non-public address."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        refused = [a["host"] for a in answers if not public(a["host"])]
        if refused:
            raise AddressRefused(f"{host} resolves to a non-public address ({', '.join(sorted(set(refused)))})")
        return answers

    async def close(self) -> None:
        await self._inner.close()


def literal_refused(host: str) -> bool:
    """Whether a host is an IP literal that is not public (aiohttp does not resolve literals)."""
    try:
        return not public(host.strip("[]"))
    except ValueError:
        return False
