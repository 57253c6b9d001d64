"""Egress guard: which hosts and networks data sources may connect to.

Admins keep a list of rules (``egress_rules``): host names (``db.example.com``, ``*.corp.example``),
addresses (``10.0.0.5``) or networks (``10.0.0.0/8``, ``2001:db8::/32``). Every host a data source
connects to is resolved and **every** address it resolves to is checked:

* cloud metadata addresses (:data:`METADATA_ADDRESSES`, and the host names in
  :data:`METADATA_HOSTS`) are refused unless a rule names exactly that address (or host name) —
  a broad network such as ``0.0.0.0/0`` does not count;
* link-local addresses (169.254.0.0/16, fe80::/10) are refused unless the setting
  ``egress.allow_link_local`` is on or a rule inside the link-local range lists them;
* when the list is not empty, an address must be inside a listed network, or the host name must
  match a listed host name;
* with an empty list, everything else is allowed.

The check runs before every new connection (``SQLSource`` calls it from SQLAlchemy's
``do_connect``), so a host whose DNS answer changes is checked again. SQLite files are not network
hosts and are never checked.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
import socket
import struct
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from builder.store.policy_models import EgressRule, Setting
from datasources.base import ConnectionFailure

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Instance metadata services of the big clouds (AWS/Azure/GCP/Oracle, AWS IPv6, Alibaba).
METADATA_ADDRESSES: frozenset[Address] = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200"))
METADATA_HOSTS: frozenset[str] = frozenset({"metadata.google.internal", "metadata.goog"})
LINK_LOCAL: tuple[Network, ...] = (ipaddress.ip_network("169.254.0.0/16"),
                                   ipaddress.ip_network("fe80::/10"))

SETTING_ALLOW_LINK_LOCAL = "egress.allow_link_local"
WHERE_TO_ALLOW = "Data sources → Egress"

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def _plain(address: Address) -> Address:
    """``::ffff:169.254.169.254`` is 169.254.169.254."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_link_local(address: Address) -> bool:
    address = _plain(address)
    return any(address.version == net.version and address in net for net in LINK_LOCAL)


def normalize_host(host: str) -> str:
    """Lower case, no trailing dot, no brackets around an IPv6 address."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


# --- rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One parsed rule: a network (an address is a /32 or /128), or a host name pattern."""

    pattern: str
    network: Network | None = None
    host: str | None = None

    @property
    def is_single_address(self) -> bool:
        return self.network is not None and self.network.num_addresses == 1

    def matches_name(self, name: str) -> bool:
        if self.host is None:
            return False
        if self.host.startswith("*."):
            return name.endswith(self.host[1:]) and len(name) > len(self.host) - 1
        return name == self.host

    def contains(self, address: Address) -> bool:
        return (self.network is not None and address.version == self.network.version
                and address in self.network)


def parse_rule(text: str) -> Rule:
    """A rule from what an admin typed; raises ``ValueError`` saying what is wrong."""
    raw = normalize_host(text)
    if not raw:
        raise ValueError("enter a host name, an address or a network (CIDR)")
    if any(c.isspace() for c in raw):
        raise ValueError("one host, address or network per rule (no spaces)")
    if "/" in raw or ":" in raw or re.fullmatch(r"[0-9.]+", raw):
        try:
            network = ipaddress.ip_network(raw, strict=False)
        except ValueError as exc:
            raise ValueError(f"{text.strip()!r} is not a valid address or network: {exc}") from None
        network = _plain_network(network)
        pattern = str(network.network_address) if network.num_addresses == 1 else str(network)
        return Rule(pattern=pattern, network=network)
    labels = raw.split(".")
    wildcard = labels[0] == "*"
    if wildcard:
        labels = labels[1:]
        if not labels:
            raise ValueError("'*' alone would allow every host: list networks such as "
                             "0.0.0.0/0 instead, or leave the list empty")
    if len(raw) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"{text.strip()!r} is not a valid host name (letters, digits, '-' and "
                         "'.', optionally starting with '*.')")
    return Rule(pattern=raw, host=raw)


def _plain_network(network: Network) -> Network:
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96:
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:
            return ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
    return network


# --- the policy ----------------------------------------------------------------------------------


def _refused(shown: str, reason: str, what: str = "it") -> ConnectionFailure:
    return ConnectionFailure(
        "egress_refused",
        f"this server may not connect to {shown}: {reason}; an admin can allow {what} under "
        f"{WHERE_TO_ALLOW}",
        f"If this data source is meant to reach {shown}, an admin can add it to the egress list "
        f"under {WHERE_TO_ALLOW}.",
        status=403, code="egress_refused")


def resolve(host: str, port: int | None) -> list[Address]:
    """Every address ``host`` resolves to; a failure is a ``ConnectionFailure`` (unknown_host)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ConnectionFailure(
            "unknown_host", f"cannot resolve host {host!r}: {exc.args[-1] if exc.args else exc}"
        ) from None
    seen: list[Address] = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        with contextlib.suppress(ValueError):
            address = _plain(ipaddress.ip_address(text))
            if address not in seen:
                seen.append(address)
    return seen


@dataclass(frozen=True)
class EgressPolicy:
    rules: tuple[Rule, ...] = ()
    allow_link_local: bool = False

    @property
    def fingerprint(self) -> tuple[object, ...]:
        """Changes whenever the policy does (live data sources are rebuilt then)."""
        return (tuple(r.pattern for r in self.rules), self.allow_link_local)

    def check(self, host: str, port: int | None = None) -> list[Address]:
        """Resolve ``host`` and check every address; returns them, or raises
        ``ConnectionFailure`` (``egress_refused`` with status 403, or ``unknown_host``)."""
        name = normalize_host(host)
        if name in METADATA_HOSTS and not any(r.host == name for r in self.rules):
            raise _refused(name, "cloud metadata addresses are refused")
        addresses = resolve(name, port)
        for address in addresses:
            self.check_address(name, address)
        return addresses

    def check_address(self, name: str, address: Address) -> None:
        address = _plain(address)
        shown = str(address) if name == str(address) else f"{name} ({address})"
        if address in METADATA_ADDRESSES:
            if not any(r.is_single_address and r.contains(address) for r in self.rules):
                raise _refused(str(address), "cloud metadata addresses are refused")
            return
        if is_link_local(address) and not self.allow_link_local and not any(
                r.contains(address) and _within_link_local(r) for r in self.rules):
            raise _refused(str(address), "link-local addresses are refused", "them")
        if self.rules and not any(r.contains(address) or r.matches_name(name)
                                  for r in self.rules):
            raise _refused(shown, "it is not on the egress list")


def _within_link_local(rule: Rule) -> bool:
    net = rule.network
    return net is not None and any(net.version == ll.version and net.subnet_of(ll)  # type: ignore[arg-type]
                                   for ll in LINK_LOCAL)


# --- stored rules and setting --------------------------------------------------------------------


class DuplicateRule(ValueError):
    pass


def list_rules(session: Session) -> list[EgressRule]:
    return list(session.scalars(select(EgressRule).order_by(EgressRule.pattern)))


def allow_link_local(session: Session) -> bool:
    setting = session.get(Setting, SETTING_ALLOW_LINK_LOCAL)
    return bool(setting is not None and json.loads(setting.value))


def load_policy(session: Session) -> EgressPolicy:
    rules = []
    for pattern in session.scalars(select(EgressRule.pattern).order_by(EgressRule.pattern)):
        with contextlib.suppress(ValueError):  # stored rules were parsed when added
            rules.append(parse_rule(pattern))
    return EgressPolicy(rules=tuple(rules), allow_link_local=allow_link_local(session))


def add_rule(session: Session, text: str, note: str = "") -> EgressRule:
    rule = parse_rule(text)
    if session.scalar(select(EgressRule.id).where(EgressRule.pattern == rule.pattern)):
        raise DuplicateRule(f"{rule.pattern} is already on the egress list")
    row = EgressRule(pattern=rule.pattern, note=note.strip()[:200])
    session.add(row)
    session.flush()
    return row


def remove_rule(session: Session, rule_id: int) -> EgressRule | None:
    row = session.get(EgressRule, rule_id)
    if row is not None:
        session.delete(row)
    return row


def set_allow_link_local(session: Session, allowed: bool) -> None:
    setting = session.get(Setting, SETTING_ALLOW_LINK_LOCAL)
    if setting is None:
        session.add(Setting(key=SETTING_ALLOW_LINK_LOCAL, value=json.dumps(allowed)))
    else:
        setting.value = json.dumps(allowed)


# --- where this server connects from -------------------------------------------------------------


def source_address(address: str) -> str | None:
    """The local address this host would use to reach ``address`` (a UDP "connect" only asks
    the routing table: no packet is sent)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((str(ip), 9))
            return str(sock.getsockname()[0]).split("%", 1)[0]
    except OSError:
        return None


def _linux_ipv4_addresses() -> Iterable[str]:
    import fcntl

    siocgifaddr = 0x8915
    for _index, name in socket.if_nameindex():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                packed = fcntl.ioctl(sock.fileno(), siocgifaddr,
                                     struct.pack("256s", name.encode()[:15]))
            except OSError:
                continue
            yield socket.inet_ntoa(packed[20:24])


def _linux_ipv6_addresses() -> Iterable[str]:
    path = Path("/proc/net/if_inet6")
    if not path.exists():
        return
    for line in path.read_text().splitlines():
        raw = line.split()[0] if line.split() else ""
        if len(raw) == 32:
            yield str(ipaddress.IPv6Address(bytes.fromhex(raw)))


@dataclass
class ServerAddresses:
    """The addresses this server connects from, for a database admin's allowlist."""

    #: Source address of the default routes (IPv4, IPv6).
    default: list[str] = field(default_factory=list)
    #: Every other non-loopback, non-link-local address of this host's interfaces.
    interfaces: list[str] = field(default_factory=list)

    @property
    def all(self) -> list[str]:
        return self.default + [a for a in self.interfaces if a not in self.default]


def server_addresses() -> ServerAddresses:
    """This host's own addresses: no external service is asked (no packet leaves)."""
    default = [a for a in (source_address("192.0.2.1"), source_address("2001:db8::1")) if a]
    found: list[str] = []
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, ImportError):
            found.extend(_linux_ipv4_addresses())
        with contextlib.suppress(OSError, ValueError):
            found.extend(_linux_ipv6_addresses())
    interfaces = []
    for text in found:
        ip = ipaddress.ip_address(text)
        if ip.is_loopback or ip.is_link_local or ip.is_unspecified or text in interfaces:
            continue
        interfaces.append(text)
    return ServerAddresses(default=default, interfaces=interfaces)


def addresses_towards(hosts: Iterable[tuple[str, int | None]]) -> list[tuple[str, str]]:
    """(target address, local source address) for each resolvable target (best effort)."""
    pairs: list[tuple[str, str]] = []
    for host, port in hosts:
        try:
            addresses = resolve(normalize_host(host), port)
        except ConnectionFailure:
            continue
        for address in addresses[:4]:
            local = source_address(str(address))
            if local and (str(address), local) not in pairs:
                pairs.append((str(address), local))
    return pairs
