"""IP allowlists at three levels: the whole instance, an app, a data source.

A level with no entries does not restrict. The client address is ``request.remote_addr``: the
socket's peer, or, with ``TOOLCRIB_TRUSTED_PROXIES=N``, the address N proxies back in
X-Forwarded-For (Werkzeug's ProxyFix, installed by ``create_app``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from sqlalchemy import select

from builder.context import toolcrib
from builder.store.policy_models import AllowlistEntry

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressNotAllowed(Exception):
    def __init__(self, address: str | None) -> None:
        super().__init__(f"your address {address or 'unknown'} is not allowed here")
        self.address = address


def parse_network(text: str) -> Network:
    """``10.0.0.0/8``, ``2001:db8::/32`` or a single address; raises ValueError with a reason."""
    return ipaddress.ip_network(text.strip(), strict=False)


def address_in(address: str | None, networks: Iterable[Network]) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)


def networks_for(scope: str, target: str = "") -> list[Network]:
    with toolcrib().store.session() as session:
        cidrs = session.scalars(select(AllowlistEntry.cidr).where(
            AllowlistEntry.scope == scope, AllowlistEntry.target == target))
        return [parse_network(c) for c in cidrs]


def check(address: str | None, scope: str, target: str = "") -> None:
    networks = networks_for(scope, target)
    if networks and not address_in(address, networks):
        raise AddressNotAllowed(address)
