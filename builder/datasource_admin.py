"""Managing data sources: add, change, test, describe and remove (the CLI and the admin pages).

Everything that must behave the same on the page and on the command line lives here: which apps
use a data source (delete is refused while any does), the connection test with its 5-second answer
and its failure kinds, the egress check, configurations with secrets masked for display and the
audit log, and keeping a stored secret when a form leaves it empty.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from builder.context import Toolcrib
from builder.datasource_secrets import describe, masked, secret_fields, secret_values
from builder.datasource_usage import AppUse, datasources_named, usage
from builder.errors import UserError
from builder.security import audit, egress
from builder.security.secretbox import SecretKeyError
from builder.store import datasources as records
from datasources import kind_for_url
from datasources.base import FAILURE_KINDS, ConnectionFailure, DataSource, QueryError
from datasources.sql_support import scrub

log = logging.getLogger(__name__)

#: The connection test answers within this many seconds, whatever the data source does.
TEST_DEADLINE_S = 4.6
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
#: Failure kinds where the database may be refusing this server's address.
_ADDRESS_KINDS = {"timeout", "connection_refused", "unreachable", "not_allowed", "wrong_password",
                  "tls_required", "other"}


class DataSourceAdminError(UserError):
    pass


class DataSourceInUse(DataSourceAdminError):
    pass


def _error(exc: Exception | str) -> DataSourceAdminError:
    return DataSourceAdminError(str(exc))


def check_name(name: str) -> str:
    name = name.strip()
    if not NAME_PATTERN.match(name):
        raise DataSourceAdminError(
            "a data source name starts with a letter or digit and has only letters, digits, "
            "'_', '-' and '.' (at most 100)")
    return name


# --- the connection test -------------------------------------------------------------------------


@dataclass
class ProbeOutcome:
    """What ``Test connection`` answers, on the page, as JSON and on the command line."""

    ok: bool
    title: str
    message: str
    kind: str | None = None
    advice: str = ""
    server_version: str | None = None
    latency_ms: float | None = None
    connect_ms: float | None = None
    elapsed_ms: float = 0.0
    #: (target address, this server's source address) for failures where the database may be
    #: refusing this server's address.
    routes: list[tuple[str, str]] = field(default_factory=list)
    #: Every address of this server (for a cloud allowlist).
    server_addresses: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["routes"] = [{"target": t, "source": s} for t, s in self.routes]
        for key in ("latency_ms", "connect_ms", "elapsed_ms"):
            if data[key] is not None:
                data[key] = round(data[key], 1)
        return data

    def lines(self) -> list[str]:
        """The same answer for a terminal."""
        if self.ok:
            return [self.message]
        out = [f"{self.title}: {self.message}"]
        if self.advice:
            out.append(f"  what to check: {self.advice}")
        for target, source in self.routes:
            out.append(f"  this server connects to {target} from {source}")
        if self.server_addresses and self.kind in _ADDRESS_KINDS:
            out.append(f"  this server's addresses: {', '.join(self.server_addresses)} "
                       "(behind NAT, the database sees the NAT's public address instead)")
        return out


def _success(name: str, info: Any, elapsed_ms: float) -> ProbeOutcome:
    connect = f" in {info.connect_ms:.0f} ms" if info.connect_ms is not None else ""
    message = (f"{name}: connected to {info.server_version}{connect} "
               f"(round trip {info.latency_ms:.1f} ms)")
    return ProbeOutcome(ok=True, title="Connected", message=message,
                       server_version=info.server_version, latency_ms=info.latency_ms,
                       connect_ms=info.connect_ms, elapsed_ms=elapsed_ms)


def _failure(exc: ConnectionFailure, source: DataSource, elapsed_ms: float) -> ProbeOutcome:
    outcome = ProbeOutcome(ok=False, title=exc.title, message=exc.message, kind=exc.kind,
                          advice=exc.advice, elapsed_ms=elapsed_ms)
    if exc.kind in _ADDRESS_KINDS:
        try:
            outcome.routes = egress.addresses_towards(source.network_targets())
            outcome.server_addresses = egress.server_addresses().all
        except Exception:  # noqa: BLE001 - extra help only; never fail the answer for it
            log.debug("could not list this server's addresses", exc_info=True)
    return outcome


def run_test(source: DataSource, policy: egress.EgressPolicy,
             deadline_s: float = TEST_DEADLINE_S) -> ProbeOutcome:
    """Test ``source`` within ``deadline_s`` seconds; every failure becomes an outcome."""
    source.egress_guard = policy.check
    box: dict[str, Any] = {}
    secrets = secret_values(source.config, secret_fields(type(source)))

    def attempt() -> None:
        try:
            source.check_egress()
            box["info"] = source.test_connection()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            box["error"] = exc
        finally:
            source.close()

    started = time.monotonic()
    worker = threading.Thread(target=attempt, name=f"test-{source.name}", daemon=True)
    worker.start()
    worker.join(deadline_s)
    elapsed_ms = (time.monotonic() - started) * 1000
    if worker.is_alive():  # it ends by its own connect timeout; nobody waits for it
        return _failure(ConnectionFailure(
            "timeout", f"data source {source.name!r} did not answer within {deadline_s:g} s"),
            source, elapsed_ms)
    if "info" in box:
        return _success(source.name, box["info"], elapsed_ms)
    error = box.get("error")
    if isinstance(error, ConnectionFailure):
        return _failure(error, source, elapsed_ms)
    if isinstance(error, QueryError):  # connected, but the probe statement failed
        return _failure(ConnectionFailure("other", error.message), source, elapsed_ms)
    if isinstance(error, ValueError | KeyError | TypeError):  # configuration the kind refuses
        return _failure(ConnectionFailure(
            "other", scrub(f"data source {source.name!r} is not configured correctly: {error}",
                           secrets),
            "Check the fields of the form."), source, elapsed_ms)
    log.error("connection test of %r failed unexpectedly: %s", source.name,
              type(error).__name__)
    return _failure(ConnectionFailure(
        "other", f"the connection test failed unexpectedly ({type(error).__name__}); the "
                 "server log has the details"), source, elapsed_ms)


def probe_config(tc: Toolcrib, kind: str, name: str, config: dict[str, Any],
                read_only: bool = False) -> ProbeOutcome:
    """Test a configuration that may not be saved yet."""
    source_class = tc.datasource_kinds.get(kind)
    with tc.store.session() as session:
        policy = egress.load_policy(session)
    return run_test(source_class(name, {**config, "read_only": read_only}), policy)


def check_egress(tc: Toolcrib, kind: str, name: str, config: dict[str, Any]) -> None:
    """Refuse a configuration whose host the egress guard refuses (raises ConnectionFailure).

    A host that does not resolve from here is not refused: the connection test reports it.
    """
    source = tc.datasource_kinds.get(kind)(name, config)
    with tc.store.session() as session:
        policy = egress.load_policy(session)
    for host, port in source.network_targets():
        try:
            policy.check(host, port)
        except ConnectionFailure as exc:
            if exc.kind != "unknown_host":
                raise


# --- reading, saving, removing -------------------------------------------------------------------


@dataclass
class StoredDataSource:
    name: str
    kind: str
    read_only: bool
    #: None when the stored configuration cannot be decrypted (another secret key).
    config: dict[str, Any] | None
    updated_at: Any = None


def load(tc: Toolcrib, name: str) -> StoredDataSource:
    with tc.store.session() as session:
        record = records.get(session, name)
        stored = StoredDataSource(record.name, record.kind, record.read_only, None,
                                  record.updated_at)
        sealed = record.config_sealed
    try:
        stored.config = tc.box.open(sealed)
    except SecretKeyError:
        stored.config = None
    return stored


def audit_view(kind: str, config: dict[str, Any] | None, read_only: bool,
               secrets: set[str]) -> dict[str, Any]:
    return {"kind": kind, "read_only": read_only,
            "config": masked(config, secrets) if config is not None else "(cannot be decrypted)"}


def save(tc: Toolcrib, name: str, kind: str, config: dict[str, Any], read_only: bool, *,
         new: bool) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Store a data source; returns (before, after) for the audit log, secrets masked.

    ``after["write_only_changed"]`` names the secrets set, changed or removed by an update.
    """
    secrets = secret_fields(tc.datasource_kinds.get(kind))
    before: dict[str, Any] | None = None
    old: StoredDataSource | None = None
    if not new:
        old = load(tc, name)
        before = audit_view(old.kind, old.config, old.read_only, secrets)
    with tc.store.session() as session:
        try:
            if new:
                records.add(session, tc.box, name=name, kind=kind, config=config,
                            read_only=read_only)
            else:
                records.update(session, tc.box, name, config=config, read_only=read_only)
        except (records.DuplicateDataSource, records.UnknownDataSource) as exc:
            raise _error(exc) from None
    after = audit_view(kind, config, read_only, secrets)
    if old is not None and old.config is not None:
        changed = sorted(k for k in secrets if old.config.get(k) != config.get(k))
        if changed:
            after["write_only_changed"] = changed
    return before, after


def remove(tc: Toolcrib, name: str) -> dict[str, Any]:
    """Delete ``name`` unless an app uses it; returns its audit view."""
    with tc.store.session() as session:
        users = usage(session).get(name, [])
        record = records.get(session, name)
        if users:
            apps = ", ".join(str(u) for u in users)
            raise DataSourceInUse(
                f"cannot delete data source {name!r}: it is used by {apps}. Point those apps' "
                "queries at another data source (and publish) first.")
        kind, read_only = record.kind, record.read_only
        session.delete(record)
    return {"kind": kind, "read_only": read_only}


# --- the command line ----------------------------------------------------------------------------


def add_datasource(tc: Toolcrib, name: str, url: str, *, read_only: bool = False,
                   test: bool = True) -> Iterator[str]:
    name = check_name(name)
    try:
        kind = kind_for_url(url)
        source_class = tc.datasource_kinds.get(kind)
        config: dict[str, Any] = source_class.from_url(url)
    except (ValueError, KeyError) as exc:
        raise _error(exc) from None
    try:
        check_egress(tc, kind, name, config)
    except ConnectionFailure as exc:
        raise _error(exc.message) from None
    if test:
        outcome = probe_config(tc, kind, name, config, read_only)
        if not outcome.ok:
            raise _error("connection test failed: " + "\n".join(outcome.lines())
                         + "\n(use --no-test to add it anyway)")
        yield outcome.message.replace(f"{name}: ", "", 1)
    _before, after = save(tc, name, kind, config, read_only, new=True)
    audit.cli_change("datasource.create", name, after=after, store=tc.store)
    yield f"added {kind} data source {name!r}{' (read-only)' if read_only else ''}"


def describe_all(tc: Toolcrib) -> list[tuple[str, str, str]]:
    """Name, kind and a password-free description of each data source."""
    with tc.store.session() as session:
        rows = [(r.name, r.kind, r.config_sealed, r.read_only) for r in records.list_all(session)]
    described = []
    for name, kind, sealed, read_only in rows:
        try:
            where = describe(tc.box.open(sealed))
        except SecretKeyError:
            where = describe(None)
        described.append((name, kind, where + (" read-only" if read_only else "")))
    return described


def test_datasource(tc: Toolcrib, name: str) -> str:
    """``toolcrib datasource test NAME``: the page's answer, as lines; raises on failure."""
    try:
        stored = load(tc, name)
    except records.UnknownDataSource as exc:
        raise _error(exc) from None
    if stored.config is None:
        raise _error(f"{name}: the stored settings cannot be decrypted with this server's "
                     "secret key (was TOOLCRIB_SECRET_KEY or instance/secret.key changed?); "
                     "restore the old key or enter the settings again")
    outcome = probe_config(tc, stored.kind, name, stored.config, stored.read_only)
    if not outcome.ok:
        raise _error("\n".join(outcome.lines()))
    return outcome.message


def remove_datasource(tc: Toolcrib, name: str) -> None:
    try:
        before = remove(tc, name)
    except records.UnknownDataSource as exc:
        raise _error(exc) from None
    audit.cli_change("datasource.delete", name, before=before, store=tc.store)


__all__ = ["FAILURE_KINDS", "AppUse", "DataSourceAdminError", "DataSourceInUse", "ProbeOutcome",
           "add_datasource", "datasources_named", "describe", "describe_all", "masked", "remove",
           "remove_datasource", "save", "secret_fields", "secret_values", "probe_config",
           "test_datasource", "usage"]
