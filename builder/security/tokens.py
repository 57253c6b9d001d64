"""API tokens: created and revoked by their owner, shown once, stored as a SHA-256 hash."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from builder.errors import UserError
from builder.security.auth import hash_token, new_token
from builder.store.models import utcnow
from builder.store.people_models import ApiToken


class TokenError(UserError):
    pass


def create_token(session: Session, *, user_id: int, name: str) -> tuple[ApiToken, str]:
    """The stored row and the token itself, which is never stored or shown again."""
    name = name.strip()
    if not name:
        raise TokenError("give the token a name that says where it is used")
    token = new_token()
    row = ApiToken(user_id=user_id, name=name, token_hash=hash_token(token), prefix=token[:10])
    session.add(row)
    session.flush()
    return row, token


def revoke_token(session: Session, *, user_id: int, token_id: int) -> ApiToken:
    row = session.scalar(select(ApiToken).where(ApiToken.id == token_id,
                                                ApiToken.user_id == user_id))
    if row is None:
        raise TokenError("no such token")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                .order_by(ApiToken.created_at.desc())))
