"""Give the bench instance an operator with a grant on every app, and an API token.

Run inside the instance's environment (``python -m bench.provision USER PASSWORD``); prints one
JSON line ``{"token": ..., "user": ..., "password": ...}``, or ``{"token": null}`` on a
Toolcrib without sign-in (before the admin issue), where the run API is open.
An operator is the realistic caller: admins skip the per-app grant check.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    username, password = argv[0], argv[1]
    try:
        from builder.security.grants import grant
        from builder.security.tokens import create_token
        from builder.security.users import create_user, find_user
    except ImportError:
        print(json.dumps({"token": None}))
        return 0
    from builder import create_app
    from builder.store import apps as app_records

    tc = create_app().extensions["toolcrib"]
    try:
        tc.store.upgrade()
        with tc.store.session() as session:
            user = find_user(session, username) or create_user(
                session, username=username, password=password, role="operator")
            for app in app_records.list_apps(session):
                grant(session, app, user_id=user.id)
            _, token = create_token(session, user_id=user.id, name="bench")
    finally:
        tc.close()
    print(json.dumps({"token": token, "user": username, "password": password}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
