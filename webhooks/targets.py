"""Where a webhook may be sent: a defence against server-side request forgery (SSRF).

A partner chooses the webhook URL, so without a check a partner could make our workers
call our own network: the admin on localhost, a database on 10.x, the cloud metadata
service on 169.254.169.254 (which hands out credentials). `check_target` refuses:

- a scheme other than https, and http unless `allow_http` (the body is signed, not secret);
- credentials in the URL (`user:pass@host`), which would leak into logs and Host parsing
  tricks (`https://good.example@evil.example/`);
- a missing or malformed host, and a port outside 1..65535;
- unless `allow_private` (tests and local runs, `WEBHOOK_ALLOW_PRIVATE_TARGETS=true`), a
  host of which ANY address is private, loopback, link-local (the metadata address
  included), multicast, reserved, unspecified, shared (100.64.0.0/10), site-local or
  unique-local, or not globally routable. IPv6 addresses that carry an IPv4 address
  (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, 6to4, Teredo, NAT64
  `64:ff9b::/96`) are judged by the IPv4 address they carry as well.

IP literals are read the way libc reads them (`socket.inet_aton`), so `2130706433`,
`0177.0.0.1`, `0x7f.1` and `127.1` are all seen as 127.0.0.1. Host names are lower-cased,
lose one trailing dot and are IDNA-encoded before they are resolved.

Contract for the sender: connect to one of `Target.addresses` and never resolve
`Target.host` again, otherwise a DNS answer that changes between the check and the
connect (DNS re-binding) slips past. Send `Target.host` in the Host header (see
`Target.host_header`) and as the TLS server name, so the receiver's virtual host and
certificate check still work. Do not follow redirects without checking the new URL here.

A failing DNS lookup is not a verdict on the target: `resolve`'s `OSError`
(`socket.gaierror`) is raised unchanged so that the delivery task can retry it.
"""

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["Target", "UnsafeTarget", "check_target", "check_url"]

DEFAULT_PORTS = {"http": 80, "https": 443}

# After IDNA encoding a host name is plain ASCII; anything else (%, \, spaces, controls)
# means a parser somewhere else might read the host differently from us.
_HOSTNAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")

CLOUD_METADATA_ADDRESS = ipaddress.IPv4Address("169.254.169.254")
SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT, RFC 6598
NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix
UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")  # RFC 4193

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., list[tuple]]


class UnsafeTarget(ValueError):
    """The URL may not receive webhooks; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written (normalised), for the Host header and TLS SNI; IPv6 without brackets
    port: int
    path_and_query: str
    addresses: tuple[str, ...]  # the checked addresses: connect to these, never re-resolve `host`

    @property
    def host_header(self) -> str:
        """The value of the Host header: brackets around IPv6, the port when not the default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port != DEFAULT_PORTS[self.scheme]:
            return f"{host}:{self.port}"
        return host


def check_target(
    url: str,
    *,
    allow_http: bool,
    allow_private: bool,
    resolve: Resolver | None = socket.getaddrinfo,
) -> Target:
    """Check that `url` may receive webhooks and return where to connect.

    Raises `UnsafeTarget` naming the reason; lets `resolve`'s `OSError` through. With
    `resolve=None` a host name is not looked up: only what can be judged without DNS is
    checked and `addresses` is empty (`check_url`); never send to such a Target.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        # urlsplit refuses bad brackets; .port refuses non-numbers and values above 65535.
        raise UnsafeTarget(f"URL {url!r} is malformed or its port is not in 1..65535 ({error})") from error

    scheme = parts.scheme
    if scheme not in DEFAULT_PORTS:
        raise UnsafeTarget(f"scheme {scheme!r} is not allowed, only https (and http when allowed)")
    if scheme == "http" and not allow_http:
        raise UnsafeTarget("scheme 'http' is not allowed, use https")
    if "@" in parts.netloc:
        raise UnsafeTarget("credentials (userinfo) in the URL are not allowed")
    if port is None:
        port = DEFAULT_PORTS[scheme]
    if not 1 <= port <= 65535:
        raise UnsafeTarget(f"port {port} is not in 1..65535")

    host, literal = _normalise_host(parts.hostname or "")
    if literal is not None:
        addresses = [literal]
    elif resolve is None:
        addresses = []
    else:
        addresses = _resolve(host, port, resolve)

    if not allow_private:
        for address in addresses:
            reason = _why_unsafe(address)
            if reason:
                raise UnsafeTarget(f"host {host!r} has address {address}, which is {reason}")

    path_and_query = parts.path or "/"
    if parts.query:
        path_and_query = f"{path_and_query}?{parts.query}"
    return Target(
        scheme=scheme,
        host=host,
        port=port,
        path_and_query=path_and_query,
        addresses=tuple(str(address) for address in addresses),
    )


def check_url(url: str, *, allow_http: bool, allow_private: bool) -> None:
    """Refuse at once what is wrong without a DNS lookup (scheme, credentials, host syntax,
    port, an IP literal's address): for forms, where a lookup would be slow and its answer
    may change before delivery, which checks again. Raises `UnsafeTarget`."""
    check_target(url, allow_http=allow_http, allow_private=allow_private, resolve=None)


def _normalise_host(hostname: str) -> tuple[str, IPAddress | None]:
    """Return the normalised host and, when it is an IP literal, its address.

    `hostname` comes from urlsplit: lower-cased, IPv6 brackets removed.
    """
    if hostname.endswith("."):
        hostname = hostname[:-1]
    if not hostname:
        raise UnsafeTarget("the URL has no host")

    if ":" in hostname:  # only a bracketed IPv6 literal can contain a colon here
        if "%" in hostname:
            raise UnsafeTarget(f"IPv6 zone identifiers are not allowed: {hostname!r}")
        try:
            return hostname, ipaddress.IPv6Address(hostname)
        except ValueError as error:
            raise UnsafeTarget(f"host {hostname!r} is not a valid IPv6 address") from error

    try:
        ascii_host = hostname.encode("idna").decode("ascii").lower()
    except UnicodeError as error:
        raise UnsafeTarget(f"host {hostname!r} is not a valid host name") from error
    if not _HOSTNAME.fullmatch(ascii_host):
        raise UnsafeTarget(f"host {hostname!r} contains characters not allowed in a host name")

    # libc (and so every HTTP client) reads 2130706433, 0177.0.0.1, 0x7f.1 and 127.1 as
    # 127.0.0.1; inet_aton is that reading. A real name is never accepted by it.
    try:
        packed = socket.inet_aton(ascii_host)
    except OSError:
        return ascii_host, None
    return ascii_host, ipaddress.IPv4Address(packed)


def _resolve(host: str, port: int, resolve: Resolver) -> list[IPAddress]:
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canonname, sockaddr in resolve(host, port, type=socket.SOCK_STREAM):
        # An IPv6 sockaddr may carry a scope ("fe80::1%eth0"); the address is what counts.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeTarget(f"host {host!r} resolved to no address")
    return addresses


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries, which a gateway or the kernel may connect to."""
    embedded = []
    if address.ipv4_mapped:
        embedded.append(address.ipv4_mapped)
    if address.sixtofour:
        embedded.append(address.sixtofour)
    if address.teredo:
        embedded.extend(address.teredo)  # (server, client)
    if address in NAT64_PREFIX:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if int(address) >> 32 == 0 and int(address) > 1:  # IPv4-compatible ::a.b.c.d (deprecated)
        embedded.append(ipaddress.IPv4Address(int(address)))
    return embedded


def _why_unsafe(address: IPAddress) -> str | None:
    """Why a webhook may not go to `address`, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        for ipv4 in embedded:
            reason = _why_unsafe(ipv4)
            if reason:
                return f"an IPv6 form of {ipv4}, which is {reason}"
        if address.ipv4_mapped:
            # The kernel connects to the IPv4 address itself, which passed.
            return None
        if address.is_site_local:
            return "site-local"

    if address == CLOUD_METADATA_ADDRESS:
        return "the cloud metadata address"
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_reserved:
        return "reserved"
    if isinstance(address, ipaddress.IPv4Address) and address in SHARED_ADDRESS_SPACE:
        return "shared address space (100.64.0.0/10)"
    if isinstance(address, ipaddress.IPv6Address) and address in UNIQUE_LOCAL:
        return "unique-local"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "not globally routable"
    return None
