"""API tokens (any signed-in user): list, create (shown once), revoke.

A token carries exactly its owner's permissions and stops working when its owner is disabled.
Only a signed-in session creates tokens: a token cannot mint more tokens, so revoking a leaked
one is enough. Revoking works with either.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from builder.context import toolcrib
from builder.security import audit
from builder.security import tokens as api_tokens
from builder.security.auth import login_required
from builder.web import error_page
from builder.web.page_helpers import form_text, me, secret_once, when

bp = Blueprint("account", __name__, url_prefix="/account")


def _back() -> ResponseReturnValue:
    return redirect(url_for("account.tokens"))


@bp.get("/tokens")
@login_required
def tokens() -> ResponseReturnValue:
    with toolcrib().store.session() as session:
        rows = api_tokens.tokens_of(session, me().id)
    return render_template("account_tokens.html", tokens=rows, when=when)


@bp.post("/tokens")
@login_required
def create() -> ResponseReturnValue:
    who = me()
    if who.via_token:
        return error_page(403, "sign in to create API tokens: a token cannot create tokens")
    name = form_text("name", 100)
    try:
        with toolcrib().store.session() as session:
            row, token = api_tokens.create_token(session, user_id=who.id, name=name)
            described = {"name": row.name, "prefix": row.prefix}
    except api_tokens.TokenError as exc:
        flash(f"Token not created: {exc}", "error")
        return _back()
    audit.admin_change(who, "token.create", f"token:{who.username}/{described['name']}",
                       after=described)
    return secret_once(
        title=f"API token “{described['name']}”",
        intro="Send it as the header Authorization: Bearer <token>. It acts with your "
              "permissions, and stops working when you revoke it or your account is disabled.",
        secret=token, label="Token", back_url=url_for("account.tokens"),
        back_label="Back to API tokens",
        note="Keep it in your script's secret store, not in the code.")


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> ResponseReturnValue:
    who = me()
    try:
        with toolcrib().store.session() as session:
            row = api_tokens.revoke_token(session, user_id=who.id, token_id=token_id)
            described = {"name": row.name, "prefix": row.prefix}
    except api_tokens.TokenError as exc:
        flash(str(exc), "error")
        return _back()
    audit.admin_change(who, "token.revoke", f"token:{who.username}/{described['name']}",
                       before=described, after={**described, "revoked": True})
    flash(f"Revoked the token “{described['name']}”: it no longer works.", "success")
    return _back()
