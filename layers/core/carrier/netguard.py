"""Which addresses Carrier may connect to, and which URLs it accepts.

One rule serves both places: at creation a literal address is checked, and at connect time every
address a name resolves to is checked again (carrier.transport connects only to checked addresses).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2048

# Ranges Python's is_global does not exclude, or that embed an IPv4 address we must not reach through.
_EXTRA_BLOCKED = [
    ipaddress.ip_network(net)
    for net in (
        "100.64.0.0/10",  # CGNAT (shared address space)
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "2002::/16",  # 6to4: embeds an IPv4 address
        "64:ff9b::/96",  # NAT64: embeds an IPv4 address
        "64:ff9b:1::/48",  # local-use NAT64
        "2001::/32",  # Teredo
        "fd00:ec2::/32",  # AWS metadata over IPv6 (fd00:ec2::254)
    )
]

BLOCKED_NAMES = frozenset(
    {
        "localhost",
        "localhost.localdomain",
        "ip6-localhost",
        "ip6-loopback",
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)

# Legacy IPv4 spellings that inet_aton accepts: 2130706433, 0x7f.1, 0177.0.0.1, 127.1
_LEGACY_V4 = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)

# A DNS name as a resolver is asked for it: ASCII labels (underscores occur in real names), optional root dot.
_LABEL = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
_HOST_NAME = re.compile(rf"^{_LABEL}(\.{_LABEL})*\.?$")
MAX_HOST_LENGTH = 253


def is_blocked(address: IPAddress) -> bool:
    """True for anything but a plain public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None or address.sixtofour is not None or address.teredo is not None:
            return True
        # IPv4-compatible (::a.b.c.d, deprecated) addresses
        if int(address) >> 32 == 0:
            return True
    if not address.is_global or address.is_multicast or address.is_reserved or address.is_unspecified:
        return True
    return any(address in net for net in _EXTRA_BLOCKED if net.version == address.version)


def canonical_host(host: str) -> str:
    """The host as the HTTP client connects to it: lower case, and non-ASCII names mapped as yarl maps them.

    IDNA's UTS 46 mapping turns full-width digits, ideographic dots and look-alike letters into ASCII (full-width
    '127.0.0.1' becomes 127.0.0.1, 'loca' + ROMAN NUMERAL FIFTY + 'host' becomes localhost), so every check runs on
    the mapped form. Raises UnicodeError for a name IDNA refuses.
    """
    host = host.strip("[]")
    if host.isascii():
        return host.lower()
    import idna  # a dependency of yarl (aiohttp's URL parser); loaded only for non-ASCII hosts

    try:
        return idna.encode(host, uts46=True).decode("ascii").lower()
    except idna.IDNAError:
        return host.encode("idna").decode("ascii").lower()  # yarl's own fallback


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally, in any spelling a resolver would accept; None for a name."""
    host = host.strip("[]")
    if "%" not in host:
        host = host.rstrip(".")  # '127.0.0.1.' is still 127.0.0.1 to a resolver
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_V4.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_blocked_name(host: str) -> bool:
    name = host.rstrip(".").lower()
    return name in BLOCKED_NAMES or name.endswith(".localhost") or name.endswith(".internal")


class UrlRejected(ValueError):
    """The reason a URL is refused, fit to show the tenant."""


def check_url(url: str, *, allow_private: bool, allow_http: bool) -> str:
    """Validate a webhook URL at creation. Names that do not resolve yet are accepted (checked at connect)."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlRejected(f"url is longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise UrlRejected("url contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRejected(f"url is malformed: {exc}") from exc
    allowed_schemes = ("https", "http") if (allow_http or allow_private) else ("https",)
    if parts.scheme.lower() not in allowed_schemes:
        raise UrlRejected(f"url must use {' or '.join(allowed_schemes)}")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UrlRejected("url must not contain credentials; use the headers field for an Authorization value")
    if not parts.hostname:
        raise UrlRejected("url has no host")
    try:
        host = canonical_host(parts.hostname)
    except UnicodeError as exc:
        raise UrlRejected(f"url host is not a valid host name: {exc}") from exc
    if port == 0:
        raise UrlRejected("url port must be between 1 and 65535")
    if parts.fragment:
        raise UrlRejected("url must not contain a fragment")
    address = literal_address(host)
    if address is None and (len(host) > MAX_HOST_LENGTH or not _HOST_NAME.match(host)):
        raise UrlRejected(f"url host {host!r} is not a valid host name or IP address")
    if allow_private:
        return url
    if address is not None and is_blocked(address):
        raise UrlRejected(f"url points to a private, loopback, link-local or reserved address ({address})")
    if address is None and is_blocked_name(host):
        raise UrlRejected(f"url host {host!r} is an internal name")
    return url
