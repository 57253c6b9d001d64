"""Admin pages: data sources (list, add, edit, test, delete) and the egress rules.

The form comes from ``builder/web/datasource_form.py``. "Test connection" posts the form (saved or
not) and answers JSON to ``static/admin/datasource-form.js``, or re-renders the page without
JavaScript.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from builder import datasource_admin as admin
from builder.context import toolcrib
from builder.registry import RegistryError
from builder.security import audit, egress
from builder.security.auth import roles_required
from builder.store import datasources as records
from builder.web.datasource_form import (
    READ_ONLY,
    URL,
    field_label,
    fill,
    parse_form,
    schema_fields,
)
from builder.web.page_helpers import me
from datasources.base import ConnectionFailure, DataSource

bp = Blueprint("admin_datasources", __name__, url_prefix="/admin/datasources")


def _kind_class(kind: str) -> type[DataSource]:
    try:
        return toolcrib().datasource_kinds.get(kind)
    except RegistryError:
        from flask import abort

        abort(404)


def _kinds() -> list[tuple[str, str]]:
    return [(k, cls.title) for k, cls in toolcrib().datasource_kinds.all().items()]


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _json(payload: Any, status: int = 200) -> Response:
    response = Response(json.dumps(payload, ensure_ascii=False, default=str), status=status,
                        mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _errors_outcome(errors: dict[str, str]) -> dict[str, Any]:
    return {"ok": False, "kind": "invalid", "title": "Check the form",
            "message": "; ".join(f"{k}: {v}" if k else v for k, v in errors.items()),
            "errors": errors}


# --- the list ------------------------------------------------------------------------------------


@bp.get("")
@roles_required("admin")
def datasources() -> ResponseReturnValue:
    tc = toolcrib()
    kinds = tc.datasource_kinds.all()
    with tc.store.session() as session:
        used = admin.usage(session)
        rows = [(r.name, r.kind, r.config_sealed, r.read_only)
                for r in records.list_all(session)]
        rules = [(r.id, r.pattern, r.note, r.created_at) for r in egress.list_rules(session)]
        link_local = egress.allow_link_local(session)
    listed = []
    for name, kind, sealed, read_only in rows:
        try:
            config: dict[str, Any] | None = tc.box.open(sealed)
        except Exception:  # noqa: BLE001 - SecretKeyError: shown as a state, not a crash
            config = None
        listed.append({"name": name, "kind": kind,
                       "kind_title": kinds[kind].title if kind in kinds else kind,
                       "where": admin.describe(config), "undecryptable": config is None,
                       "read_only": read_only, "used_by": used.get(name, [])})
    return render_template("admin_datasources.html", rows=listed, kinds=_kinds(), rules=rules,
                           allow_link_local=link_local, addresses=egress.server_addresses())


# --- add and edit --------------------------------------------------------------------------------


def _render_form(*, new: bool, kind: str, name: str, values: dict[str, Any], read_only: bool,
                 secrets_stored: set[str], errors: dict[str, str] | None = None,
                 outcome: dict[str, Any] | None = None, undecryptable: bool = False,
                 typed_secrets: list[str] | None = None, status: int = 200) -> ResponseReturnValue:
    source_class = _kind_class(kind)
    url_field, fields = schema_fields(source_class)
    fill(fields, {**values, READ_ONLY: read_only}, secrets_stored)
    if url_field is not None:
        fill([url_field], {}, secrets_stored)
    errors = errors or {}
    for item in [*fields, *([url_field] if url_field else [])]:
        item.error = errors.get(item.key, "")
    known = {f.key for f in fields} | ({URL} if url_field else set()) | {"name"}
    general = [v for k, v in errors.items() if not k or k not in known]
    used_by: list[admin.AppUse] = []
    if not new:
        with toolcrib().store.session() as session:
            used_by = admin.usage(session).get(name, [])
    action = url_for(".new", kind=kind) if new else url_for(".edit", name=name)
    return render_template(
        "admin_datasource_form.html", new=new, kind=kind, kind_title=source_class.title,
        name=name, url_field=url_field, fields=fields, errors=errors, general_errors=general,
        name_error=errors.get("name", ""), outcome=outcome, undecryptable=undecryptable,
        typed_secrets=[field_label(k, {}) if k != URL else "URL" for k in (typed_secrets or [])],
        used_by=used_by, action=action), status


def _defaults(source_class: type[DataSource]) -> dict[str, Any]:
    props = source_class.config_schema().get("properties", {})
    return {k: spec["default"] for k, spec in props.items()
            if isinstance(spec, dict) and "default" in spec and not spec.get("writeOnly")}


@bp.route("/new", methods=["GET", "POST"])
@roles_required("admin")
def new() -> ResponseReturnValue:
    kind = request.values.get("kind", "")
    if not kind:
        kinds = _kinds()
        if not kinds:
            flash("no data source kinds are available on this server", "error")
            return redirect(url_for(".datasources"))
        kind = kinds[0][0]
    source_class = _kind_class(kind)
    if request.method == "GET":
        defaults = _defaults(source_class)
        return _render_form(new=True, kind=kind, name="", values=defaults,
                            read_only=bool(defaults.get(READ_ONLY)), secrets_stored=set())
    return _submit(kind, source_class, None, new=True)


@bp.route("/<name>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit(name: str) -> ResponseReturnValue:
    tc = toolcrib()
    try:
        stored = admin.load(tc, name)
    except records.UnknownDataSource:
        flash(f"there is no data source {name!r}", "error")
        return redirect(url_for(".datasources"))
    source_class = _kind_class(stored.kind)
    if request.method == "GET":
        config = stored.config or {}
        secrets = admin.secret_fields(source_class)
        return _render_form(new=False, kind=stored.kind, name=name, values=config,
                            read_only=stored.read_only,
                            secrets_stored={k for k in secrets if config.get(k)},
                            undecryptable=stored.config is None)
    return _submit(stored.kind, source_class, stored, new=False)


def _submit(kind: str, source_class: type[DataSource], stored: admin.StoredDataSource | None,
            *, new: bool) -> ResponseReturnValue:
    tc, who = toolcrib(), me()
    action = request.form.get("action", "save")
    name = request.form.get("name", "").strip() if new else (stored.name if stored else "")
    stored_config = stored.config if stored else None
    parsed = parse_form(request.form, kind, source_class, stored_config, name=name)
    errors = dict(parsed.errors)
    if new:
        try:
            parsed.name = admin.check_name(name)
        except admin.DataSourceAdminError as exc:
            if action == "save":
                errors["name"] = str(exc)
        else:
            with tc.store.session() as session:
                if action == "save" and parsed.name in records.names(session):
                    errors["name"] = f"a data source named {parsed.name!r} already exists"
    secrets = admin.secret_fields(source_class)
    stored_secrets = ({k for k in secrets if stored_config.get(k)} if stored_config else set())

    def again(status: int, outcome: dict[str, Any] | None = None) -> ResponseReturnValue:
        return _render_form(new=new, kind=kind, name=name, values=parsed.shown,
                            read_only=parsed.read_only,
                            secrets_stored=stored_secrets,
                            errors=errors, outcome=outcome,
                            undecryptable=stored is not None and stored.config is None,
                            typed_secrets=parsed.typed_secrets, status=status)

    if action == "test":
        if errors:
            outcome = _errors_outcome(errors)
            return _json(outcome, 400) if _wants_json() else again(400, outcome)
        result = admin.probe_config(tc, kind, parsed.name or "unsaved", parsed.config,
                                    parsed.read_only).as_json()
        return _json(result) if _wants_json() else again(200, result)

    if errors:
        return again(400)
    try:
        admin.check_egress(tc, kind, parsed.name, parsed.config)
    except ConnectionFailure as exc:
        errors[""] = exc.message
        return again(exc.status)
    try:
        before, after = admin.save(tc, parsed.name, kind, parsed.config, parsed.read_only,
                                   new=new)
    except admin.DataSourceAdminError as exc:
        errors["name" if new else ""] = str(exc)
        return again(400)
    audit.admin_change(who, "datasource.create" if new else "datasource.update", parsed.name,
                       before=before, after=after)
    flash(f"saved data source {parsed.name!r}", "success")
    return redirect(url_for(".datasources"))


@bp.post("/<name>/delete")
@roles_required("admin")
def delete(name: str) -> ResponseReturnValue:
    tc, who = toolcrib(), me()
    try:
        stored = admin.load(tc, name)
        before = admin.audit_view(stored.kind, stored.config, stored.read_only,
                                  admin.secret_fields(_kind_class(stored.kind))
                                  if stored.kind in tc.datasource_kinds else set())
        admin.remove(tc, name)
    except records.UnknownDataSource:
        flash(f"there is no data source {name!r}", "error")
        return redirect(url_for(".datasources"))
    except admin.DataSourceInUse as exc:
        audit.admin_change(who, "datasource.delete", name, outcome="refused_in_use")
        flash(str(exc), "error")
        return redirect(url_for(".datasources"))
    audit.admin_change(who, "datasource.delete", name, before=before)
    flash(f"deleted data source {name!r}", "success")
    return redirect(url_for(".datasources"))


# --- egress rules --------------------------------------------------------------------------------


@bp.post("/egress")
@roles_required("admin")
def egress_add() -> ResponseReturnValue:
    who = me()
    pattern = request.form.get("pattern", "")
    note = request.form.get("note", "").strip()[:200]
    try:
        with toolcrib().store.session() as session:
            row = egress.add_rule(session, pattern, note)
            saved = {"pattern": row.pattern, "note": row.note}
    except ValueError as exc:  # includes DuplicateRule
        flash(f"egress rule not added: {exc}", "error")
        return redirect(url_for(".datasources") + "#egress")
    audit.admin_change(who, "egress.add", saved["pattern"], after=saved)
    flash(f"data sources may now connect to {saved['pattern']}", "success")
    return redirect(url_for(".datasources") + "#egress")


@bp.post("/egress/<int:rule_id>/delete")
@roles_required("admin")
def egress_remove(rule_id: int) -> ResponseReturnValue:
    who = me()
    with toolcrib().store.session() as session:
        row = egress.remove_rule(session, rule_id)
        removed = {"pattern": row.pattern, "note": row.note} if row else None
    if removed is None:
        flash("that egress rule was already removed", "warning")
    else:
        audit.admin_change(who, "egress.remove", removed["pattern"], before=removed)
        flash(f"removed egress rule {removed['pattern']}", "success")
    return redirect(url_for(".datasources") + "#egress")


@bp.post("/egress/settings")
@roles_required("admin")
def egress_settings() -> ResponseReturnValue:
    who = me()
    allowed = bool(request.form.get("allow_link_local"))
    with toolcrib().store.session() as session:
        before = egress.allow_link_local(session)
        egress.set_allow_link_local(session, allowed)
    if before != allowed:
        audit.admin_change(who, "egress.settings", egress.SETTING_ALLOW_LINK_LOCAL,
                           before={"allow_link_local": before},
                           after={"allow_link_local": allowed})
    flash("link-local addresses are now " + ("allowed" if allowed else "refused"), "success")
    return redirect(url_for(".datasources") + "#egress")
