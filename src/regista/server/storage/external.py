"""Locations outside the artifact store: paths on a client's disk, and hosts no model or artifact lives on.

The server never reads or connects to either (it copies only from its own store); these checks keep
registered versions and experiments from pointing their clients at them (ADR 0004). The same address
rules decide which hosts the server itself may call (webhook targets): `outbound_refusal` at creation,
`public_addresses` again at connect time.
"""

from __future__ import annotations

import ipaddress
import posixpath
import socket
from urllib.parse import unquote, urlsplit

# Cloud instance-metadata and similar internal names (link-local and loopback addresses are checked by
# value). Compared without a trailing dot and case-insensitively.
_METADATA_NAMES = frozenset({
    "localhost", "metadata", "metadata.google.internal", "metadata.goog", "instance-data",
    "instance-data.ec2.internal", "metadata.azure.com", "metadata.packet.net", "metadata.platformequinix.com",
})
# Metadata services outside the link-local ranges (AWS over IPv6, Alibaba Cloud, Azure's wire server).
_METADATA_ADDRESSES = frozenset({
    ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200"),
    ipaddress.ip_address("168.63.129.16"),
})


def fully_decoded(text: str) -> str:
    """`text` with percent-encoding undone until nothing changes (`%252e` -> `%2e` -> `.`), so that a check on
    the result cannot be bypassed by encoding twice."""
    while (step := unquote(text)) != text:
        text = step
    return text


def has_parent_reference(text: str) -> bool:
    """Whether a location, once fully decoded, holds a `..` segment (either slash counts)."""
    return ".." in fully_decoded(text).replace("\\", "/").split("/")


def is_local(uri: str) -> bool:
    """A path on some machine's disk: no scheme, `file:`, or a Windows drive letter (`C:\\models`)."""
    try:
        scheme = urlsplit(uri).scheme
    except ValueError:
        return False
    return scheme in ("", "file") or len(scheme) == 1


def local_path(uri: str) -> str | None:
    """The path a local URI names; None for `file://<remote host>/...` (not a local path at all)."""
    parts = urlsplit(uri)
    if parts.scheme != "file":
        return uri
    if parts.netloc not in ("", "localhost", "127.0.0.1"):
        return None
    return unquote(parts.path)


def path_within(path: str, root: str) -> bool:
    """Whether absolute local path `path` is `root` or below it (lexically; `..` is refused before)."""
    path, root = posixpath.normpath(path), posixpath.normpath(root)
    return posixpath.isabs(path) and (path == root or path.startswith(root.rstrip("/") + "/"))


def forbidden_host(uri: str) -> str | None:
    """The host `uri` addresses when it is a loopback, link-local, unspecified or metadata address (in any
    spelling: decimal, hexadecimal or octal IPv4, IPv4-mapped IPv6, a metadata host name); else None."""
    try:
        host = urlsplit(uri).hostname
    except ValueError:
        return uri
    if not host:
        return None
    name = host.rstrip(".").lower()
    if name in _METADATA_NAMES or name.endswith(".localhost"):
        return host
    address = _address(name)
    if address is None:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if (address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast
            or address in _METADATA_ADDRESSES):
        return host
    return None


def _address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        pass
    if name and all(c in "0123456789abcdefx." for c in name):
        # The forms inet_aton accepts (and HTTP clients resolve): 2852039166, 0xa9fea9fe, 0251.0376.0251.0376.
        try:
            return ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return None
    return None


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_v4(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The IPv4 address an IPv6 transition form carries (mapped, 6to4, NAT64), so it is judged as what it
    reaches."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return embedded
    return address


def is_public_address(text: str) -> bool:
    """Whether an IP address is on the public internet: not loopback, private, link-local, shared (CGNAT),
    reserved, multicast or a cloud metadata address."""
    try:
        address = _embedded_v4(ipaddress.ip_address(text.split("%", 1)[0]))
    except ValueError:
        return False
    return address.is_global and not address.is_multicast and address not in _METADATA_ADDRESSES


def public_addresses(host: str, port: int, allow_private: bool) -> list[str]:
    """The addresses to connect to for host:port, all of them public unless `allow_private`; raises
    PermissionError naming the host when any is not (a name that resolves to both is refused whole)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as err:  # UnicodeError: a label IDNA cannot encode
        raise ConnectionError(f"cannot resolve {host}: {err}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private:
        refused = [a for a in addresses if not is_public_address(a)]
        if refused or not addresses:
            raise PermissionError(f"{host} resolves to a non-public address ({', '.join(refused)})")
    return addresses


def outbound_refusal(url: str, allow_private: bool, *, resolve: bool = True) -> str | None:
    """Why the server must not call `url` (None: it may). Refused: anything but https (plain http too,
    unless `allow_private`), no host, and unless `allow_private`, a host that is or resolves to a
    loopback, private, link-local or metadata address."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        return f"invalid URL: {err}"
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        return f"the scheme must be {' or '.join(allowed)}, not '{parts.scheme}'"
    if not parts.hostname:
        return "the URL has no host"
    if allow_private:
        return None
    if forbidden_host(url) is not None:
        return f"{parts.hostname} is a loopback, link-local or metadata address"
    literal = _address(parts.hostname.rstrip(".").lower())
    if literal is not None:
        return None if is_public_address(str(literal)) else f"{parts.hostname} is not a public address"
    if resolve:
        try:
            public_addresses(parts.hostname, port or 443, allow_private=False)
        except (PermissionError, ConnectionError) as err:
            return str(err)
    return None
