"""Users and groups: creating, authenticating and administering them.

The CLI, the admin pages and sign-in use these. Every error is a UserAdminError whose message is
meant for the person at the keyboard.
"""

from __future__ import annotations

import secrets

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from builder.errors import UserError
from builder.security.passwords import hash_password, verify_password
from builder.store.models import utcnow
from builder.store.people_models import ROLES, Group, GroupMember, User


class UserAdminError(UserError):
    pass


def create_user(session: Session, *, username: str, password: str, role: str,
                email: str | None = None) -> User:
    username = username.strip()
    email = (email or "").strip() or None
    if not username:
        raise UserAdminError("a username is required")
    if len(username) > 100 or any(c.isspace() for c in username) or "@" in username:
        raise UserAdminError("a username has at most 100 characters, no spaces and no @ "
                             "(people may also sign in with their email)")
    if email is not None and (len(email) > 200 or "@" not in email.strip("@")):
        raise UserAdminError(f"{email!r} does not look like an email address")
    if role not in ROLES:
        raise UserAdminError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    taken = session.scalar(select(User.id).where(or_(
        func.lower(User.username) == username.lower(),
        *([func.lower(User.email) == email.lower()] if email else []),
    )))
    if taken:
        raise UserAdminError(f"a user named {username!r} (or with that email) already exists")
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        raise UserAdminError(str(exc)) from None
    user = User(username=username, email=email or None, password_hash=password_hash, role=role)
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, login: str) -> User | None:
    """By username or email, case-insensitively."""
    login = login.strip().lower()
    return session.scalar(select(User).where(or_(func.lower(User.username) == login,
                                                 func.lower(User.email) == login)))


def authenticate(session: Session, login: str, password: str) -> User | None:
    """The user whose password this is, if enabled; records the sign-in time."""
    user = find_user(session, login)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if user is None or user.disabled:
        return None
    # A Core statement on the session's connection: the sign-in time is no policy, so it must not
    # move the policy counter and empty every worker's caches (builder/store/generation.py).
    users = User.__table__
    session.connection().execute(update(users).where(users.c.id == user.id)
                                 .values(last_login_at=utcnow()))
    return user


# --- administration: the admin pages and ``toolcrib user`` use these --------------------------

#: Length of generated passwords (before URL-safe base64: 12 bytes -> 16 characters).
GENERATED_PASSWORD_BYTES = 12


def generate_password() -> str:
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def describe(user: User) -> dict[str, object]:
    """What the audit log records of a user: never the password or its hash."""
    return {"username": user.username, "email": user.email, "role": user.role,
            "disabled": user.disabled}


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(func.lower(User.username))))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserAdminError("no such user (was it just removed?)")
    return user


def require_user(session: Session, login: str) -> User:
    """By username or email; a clear error when there is no such user."""
    user = find_user(session, login)
    if user is None:
        raise UserAdminError(f"there is no user {login.strip()!r}")
    return user


def _other_enabled_admins(session: Session, user: User) -> int:
    return session.scalar(select(func.count(User.id)).where(
        User.role == "admin", User.disabled.is_(False), User.id != user.id)) or 0


def _guard_last_admin(session: Session, user: User, doing: str) -> None:
    if user.role == "admin" and not user.disabled and not _other_enabled_admins(session, user):
        raise UserAdminError(
            f"{user.username} is the last enabled admin: {doing} would leave nobody able to "
            "manage users; make another user an admin first")


def set_role(session: Session, user: User, role: str) -> User:
    if role not in ROLES:
        raise UserAdminError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if role != user.role:
        if role != "admin":
            _guard_last_admin(session, user, f"making them {role}")
        user.role = role
    return user


def set_disabled(session: Session, user: User, disabled: bool) -> User:
    """Disabling signs out every session of the user (their API tokens stop working too)."""
    if disabled and not user.disabled:
        _guard_last_admin(session, user, "disabling them")
        user.disabled = True
        user.session_epoch += 1
    elif not disabled and user.disabled:
        user.disabled = False
    return user


def reset_password(session: Session, user: User, password: str | None = None) -> str:
    """Set a new password (generated when None) and sign out the user's sessions; returns it."""
    password = generate_password() if password is None else password
    try:
        user.password_hash = hash_password(password)
    except ValueError as exc:
        raise UserAdminError(str(exc)) from None
    user.session_epoch += 1
    return password


# --- groups ------------------------------------------------------------------------------------


def list_groups(session: Session) -> list[tuple[Group, list[User]]]:
    """Every group with its members, by name."""
    groups = list(session.scalars(select(Group).order_by(func.lower(Group.name))))
    members: dict[int, list[User]] = {g.id: [] for g in groups}
    rows = session.execute(select(GroupMember.group_id, User)
                           .join(User, User.id == GroupMember.user_id)
                           .order_by(func.lower(User.username)))
    for group_id, user in rows:
        members.setdefault(group_id, []).append(user)
    return [(g, members[g.id]) for g in groups]


def get_group(session: Session, group_id: int) -> Group:
    group = session.get(Group, group_id)
    if group is None:
        raise UserAdminError("no such group (was it just removed?)")
    return group


def find_group(session: Session, name: str) -> Group | None:
    return session.scalar(select(Group).where(func.lower(Group.name) == name.strip().lower()))


def create_group(session: Session, name: str) -> Group:
    name = name.strip()
    if not name:
        raise UserAdminError("a group needs a name")
    if len(name) > 100:
        raise UserAdminError("a group name has at most 100 characters")
    if find_group(session, name) is not None:
        raise UserAdminError(f"a group named {name!r} already exists")
    group = Group(name=name)
    session.add(group)
    session.flush()
    return group


def group_member_names(session: Session, group: Group) -> list[str]:
    return list(session.scalars(select(User.username).join(
        GroupMember, GroupMember.user_id == User.id).where(GroupMember.group_id == group.id)
        .order_by(func.lower(User.username))))


def add_member(session: Session, group: Group, user: User) -> bool:
    """True when added, False when the user was already a member."""
    if session.get(GroupMember, (group.id, user.id)) is not None:
        return False
    session.add(GroupMember(group_id=group.id, user_id=user.id))
    session.flush()
    return True


def remove_member(session: Session, group: Group, user: User) -> None:
    member = session.get(GroupMember, (group.id, user.id))
    if member is None:
        raise UserAdminError(f"{user.username} is not in the group {group.name}")
    session.delete(member)
    session.flush()
