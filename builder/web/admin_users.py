"""Users admin (admins only): people, their roles, disabling, password resets and groups.

Every change is written to the audit log with before/after values (never a password or hash).
New and reset passwords are shown once on the answer page, never stored in a cookie or a URL.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_user
from sqlalchemy.orm import Session

from builder.context import toolcrib
from builder.security import audit
from builder.security import users as people
from builder.security.auth import Principal, roles_required
from builder.store.people_models import ROLES, User
from builder.web.page_helpers import form_int, form_text, me, secret_once, when

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")


def _back() -> ResponseReturnValue:
    return redirect(url_for("admin_users.users"))


def _page(status: int = 200, form: dict[str, str] | None = None) -> ResponseReturnValue:
    with toolcrib().store.session() as session:
        users = people.list_users(session)
        groups = people.list_groups(session)
    return render_template("admin_users.html", users=users, groups=groups, roles=ROLES,
                           form=form or {"role": "operator"}, when=when, me=me()), status


@bp.get("")
@roles_required("admin")
def users() -> ResponseReturnValue:
    return _page()


@bp.post("/new")
@roles_required("admin")
def create() -> ResponseReturnValue:
    who = me()
    form = {"username": form_text("username", 100), "email": form_text("email", 200),
            "role": form_text("role", 20)}
    typed = form_text("password", 1000)
    password = typed or people.generate_password()
    try:
        with toolcrib().store.session() as session:
            user = people.create_user(session, username=form["username"], password=password,
                                      role=form["role"], email=form["email"] or None)
            after = people.describe(user)
    except people.UserAdminError as exc:
        flash(f"User not added: {exc}", "error")
        return _page(400, form)
    audit.admin_change(who, "user.create", f"user:{after['username']}", after=after)
    if typed:
        flash(f"Added {after['username']} ({after['role']}) with the password you typed.",
              "success")
        return _back()
    return secret_once(
        title=f"{after['username']} was added",
        intro=f"Give {after['username']} ({after['role']}) this first password through a "
              "private channel; they sign in with it at /login.",
        secret=password, label="Password", back_url=url_for("admin_users.users"),
        back_label="Back to users")


def _change(user_id: int, action: str, apply: Callable[[Session, User], str]
            ) -> ResponseReturnValue:
    """Apply a change to a user in one transaction and audit it with before/after."""
    who = me()
    try:
        with toolcrib().store.session() as session:
            user = people.get_user(session, user_id)
            before = people.describe(user)
            message = apply(session, user)
            after = people.describe(user)
    except people.UserAdminError as exc:
        flash(str(exc), "error")
        return _back()
    if before != after:
        audit.admin_change(who, action, f"user:{before['username']}", before=before,
                           after=after)
    flash(message, "success")
    if user_id == who.id and after["role"] != "admin":
        return redirect(url_for("runtime.index"))
    return _back()


@bp.post("/<int:user_id>/role")
@roles_required("admin")
def set_role(user_id: int) -> ResponseReturnValue:
    role = form_text("role", 20)

    def apply(session: Session, user: User) -> str:
        old = user.role
        people.set_role(session, user, role)
        return (f"{user.username} is now {role}." if old != role
                else f"{user.username} was already {role}.")

    return _change(user_id, "user.role", apply)


@bp.post("/<int:user_id>/disabled")
@roles_required("admin")
def set_disabled(user_id: int) -> ResponseReturnValue:
    disable = form_text("disabled", 10) not in ("0", "false", "no", "")

    def apply(session: Session, user: User) -> str:
        people.set_disabled(session, user, disable)
        if disable:
            return (f"{user.username} is disabled: their sessions ended and their API tokens "
                    "stopped working.")
        return f"{user.username} is enabled again."

    return _change(user_id, "user.disable" if disable else "user.enable", apply)


@bp.post("/<int:user_id>/password")
@roles_required("admin")
def reset_password(user_id: int) -> ResponseReturnValue:
    who = me()
    try:
        with toolcrib().store.session() as session:
            user = people.get_user(session, user_id)
            password = people.reset_password(session, user)
            name, refreshed = user.username, Principal.of(user)
    except people.UserAdminError as exc:
        flash(str(exc), "error")
        return _back()
    # The hash changed; the audit row says so without any trace of either password.
    audit.admin_change(who, "user.reset_password", f"user:{name}",
                       after={"password": "changed", "sessions": "signed out"})
    if user_id == who.id:
        login_user(refreshed)  # the epoch moved on: keep this admin's own session
    return secret_once(
        title=f"New password for {name}",
        intro=f"{name}'s sessions were signed out. Give them this password through a private "
              "channel.",
        secret=password, label="Password", back_url=url_for("admin_users.users"),
        back_label="Back to users")


# --- groups ------------------------------------------------------------------------------------


@bp.post("/groups")
@roles_required("admin")
def create_group() -> ResponseReturnValue:
    name = form_text("name", 200)
    try:
        with toolcrib().store.session() as session:
            group = people.create_group(session, name)
            name = group.name
    except people.UserAdminError as exc:
        flash(f"Group not created: {exc}", "error")
        return _back()
    audit.admin_change(me(), "group.create", f"group:{name}", after={"name": name})
    flash(f"Created the group {name}. Add members, then grant it apps on the App access page.",
          "success")
    return _back()


@bp.post("/groups/<int:group_id>/members")
@roles_required("admin")
def add_member(group_id: int) -> ResponseReturnValue:
    user_id = form_int("user_id")
    try:
        with toolcrib().store.session() as session:
            group = people.get_group(session, group_id)
            if user_id is None:
                raise people.UserAdminError("choose a user to add")
            user = people.get_user(session, user_id)
            before = people.group_member_names(session, group)
            added = people.add_member(session, group, user)
            after = people.group_member_names(session, group)
            names = (group.name, user.username)
    except people.UserAdminError as exc:
        flash(str(exc), "error")
        return _back()
    if added:
        audit.admin_change(me(), "group.add_member", f"group:{names[0]}",
                           before={"members": before}, after={"members": after})
        flash(f"Added {names[1]} to {names[0]}.", "success")
    else:
        flash(f"{names[1]} was already in {names[0]}.", "success")
    return _back()


@bp.post("/groups/<int:group_id>/members/<int:user_id>/remove")
@roles_required("admin")
def remove_member(group_id: int, user_id: int) -> ResponseReturnValue:
    try:
        with toolcrib().store.session() as session:
            group = people.get_group(session, group_id)
            user = people.get_user(session, user_id)
            before = people.group_member_names(session, group)
            people.remove_member(session, group, user)
            after = people.group_member_names(session, group)
            names = (group.name, user.username)
    except people.UserAdminError as exc:
        flash(str(exc), "error")
        return _back()
    audit.admin_change(me(), "group.remove_member", f"group:{names[0]}",
                       before={"members": before}, after={"members": after})
    flash(f"Removed {names[1]} from {names[0]}.", "success")
    return _back()
